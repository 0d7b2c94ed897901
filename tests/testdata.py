"""Where the suite's real test models live (see assets/ATTRIBUTION.md)."""

from pathlib import Path

ASSETS = Path(__file__).parent / "assets"
