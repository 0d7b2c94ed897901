"""Where the suite's real test models live (see assets/ATTRIBUTION.md)."""

from pathlib import Path

ASSETS = Path(__file__).parent / "assets"

DXGL_DEFAULTS = {
    "quality": "share",
    "effect": "turntable",
    "vignette": 0.0,
    "aspect": "16:9",
    "bgColor": "#ffffff",
    "bgAlign": "top-left",
    "length": 6.0,
    "animationSpeed": 1.0,
    "shadows": True,
    "reflector": False,
    "easing": True,
    "rotateY": 0,
    "tiltX": 0,
    "panX": 0,
    "rollZ": 0,
    "zoom": 1.0,
}
"""``renderSettings`` as dx.gl echoes a render created without any (its documented defaults)."""
