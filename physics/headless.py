"""MuJoCo, imported for rendering without a display.

MuJoCo picks its OpenGL backend from ``MUJOCO_GL`` once, when ``mujoco`` is first
imported, so the variable must be set before that import anywhere in the process: every
physics module imports MuJoCo from here. EGL renders headless (on a GPU's driver, or on
Mesa's llvmpipe where there is none); a value the caller set (``osmesa``, ``glfw``) is
kept.
"""

from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco

__all__ = ["mujoco"]
