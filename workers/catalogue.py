"""What meshfarm sells: the video and dataset tiers, their sizes and their prices.

One table read by every package that needs a tier: the broker prices and groups jobs by
it, the workers turn a tier into output sizes and codecs. The pure libraries never see a
tier name, only the numbers taken from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

VideoTierName = Literal["share", "standard", "4k", "pro"]
DatasetTierName = Literal["100x800", "196x1024", "400x2048"]
MainCodec = Literal["h264", "prores4444"]
"""encoders.MainCodec spelt again: importing encoders would load PyAV into every broker
process, which only prices tiers (tests/workers/test_catalogue.py keeps the two equal)."""


@dataclass(frozen=True)
class VideoTier:
    name: VideoTierName
    credits: int
    long_side: int
    """Output pixels on the frame's longer side (the renderer draws at twice this)."""
    main_codec: MainCodec

    @property
    def transparent(self) -> bool:
        """ProRes 4444 keeps the alpha channel: the frames are rendered without background."""
        return self.main_codec == "prores4444"


@dataclass(frozen=True)
class DatasetTier:
    name: DatasetTierName
    credits: int
    views: int
    size: int
    """Side of each square view, in pixels."""


VIDEO_TIERS: dict[str, VideoTier] = {
    t.name: t
    for t in (
        VideoTier("share", 1, 960, "h264"),
        VideoTier("standard", 4, 1920, "h264"),
        VideoTier("4k", 16, 3840, "h264"),
        VideoTier("pro", 64, 3840, "prores4444"),
    )
}
DATASET_TIERS: dict[str, DatasetTier] = {
    t.name: t
    for t in (
        DatasetTier("100x800", 4, 100, 800),
        DatasetTier("196x1024", 16, 196, 1024),
        DatasetTier("400x2048", 64, 400, 2048),
    )
}
PREVIEW_DIVISOR = 2
"""The free preview of an upload renders at half the share size (480×270, the share
render's thumbnail size), without supersampling."""
PREVIEW_LENGTH = 3.0

SIMREADY_PRICES: dict[str, int] = {
    "glb_to_simready": 1,
    "text_to_simready": 2,
    "image_to_simready": 3,
    "multiview_to_simready": 3,
    "simulate_usd": 0,
}
"""Credits per simulation-ready job, by the job type Rigyd names it with: a 3D file, a text
prompt, one image, 2–4 images, a simulation of a finished asset (free)."""
