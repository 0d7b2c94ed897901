"""The kinds of worker slot a job can need: a GPU render slot or a CPU-heavy slot.

Each executor keeps one pool per resource, so a conversion that takes minutes of CPU
never holds up a render, and a long render never holds up a conversion.
"""

from __future__ import annotations

from typing import Literal

Resource = Literal["gpu", "cpu"]
RESOURCES: tuple[Resource, ...] = ("gpu", "cpu")
