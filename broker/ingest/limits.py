"""What one uploaded model may cost: the asset reader's limits, plus the conversion's.

The numbers come from :class:`workers.config.Settings` (``MESHFARM_*``; see docs/api.md,
"Model limits"). A frozen dataclass rather than the settings object itself so that the OBJ
conversion process, which gets it as JSON, checks exactly what the API process would;
the fields it shares with the renderer's loader are :class:`exchange.AssetLimits`'.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from exchange.limits import AssetLimits

if TYPE_CHECKING:  # the OBJ conversion process imports this module without the settings
    from workers.config import Settings


@dataclass(frozen=True, kw_only=True)
class ModelLimits(AssetLimits):
    convert_memory_bytes: int
    convert_timeout_seconds: float
    convert_concurrency: int

    @classmethod
    def from_settings(cls, s: Settings) -> ModelLimits:
        return cls(
            **asdict(AssetLimits.from_settings(s)),
            convert_memory_bytes=s.convert_memory_bytes,
            convert_timeout_seconds=s.convert_timeout_seconds,
            convert_concurrency=s.convert_concurrency,
        )
