"""USD Refinery's plans: what one key of each tier may upload and how often.

The limits are the operator's (``MESHFARM_REFINERY_<TIER>_MAX_BYTES`` / ``_MONTHLY``);
the defaults are in docs/api.md. A monthly quota counts a key's conversions since the
first of the month, UTC; ``None`` is unlimited.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.config import Settings

TIER_NAMES = ("starter", "pro", "enterprise")


@dataclass(frozen=True)
class Tier:
    name: str
    max_bytes: int
    monthly: int | None

    @property
    def size_words(self) -> str:
        kb = self.max_bytes / 1024
        if kb < 1024:
            return f"{kb:g} KB"
        return f"{kb / 1024 / 1024:g} GB" if kb >= 1024 * 1024 else f"{kb / 1024:g} MB"


def tier_named(settings: Settings, name: str) -> Tier:
    """The tier's limits now (settings are read per request: an operator's change holds)."""
    if name not in TIER_NAMES:
        raise KeyError(name)
    max_bytes: int = getattr(settings, f"refinery_{name}_max_bytes")
    monthly: int = getattr(settings, f"refinery_{name}_monthly")
    return Tier(name, max_bytes, monthly or None)
