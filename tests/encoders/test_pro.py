"""pro: ProRes 4444 with a real, straight alpha channel; variants laid over bgColor."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from enc_helpers import OBJECT_RGB, decode, hole_box, moving_square, square_box
from PIL import Image

from encoders import encode_render

BG = (0, 0, 255)


def test_prores_4444_keeps_the_alpha(tmp_path: Path) -> None:
    files = encode_render(
        moving_square(6, 640, 360, transparent=True), tmp_path, main_codec="prores4444", bg_color=BG
    )
    assert files["video"].path.name == "video.mov"
    assert files["video"].content_type == "video/quicktime"
    video = decode(files["video"].path, fmt="rgba64le")
    assert video.codec == "prores"
    assert video.pix_fmt.startswith("yuva444p")  # yuva444p10le written, 12le as decoded
    assert len(video.frames) == 6 == files["video"].frames
    assert (video.width, video.height) == (640, 360)
    for i, frame in enumerate(video.frames):
        alpha = frame[..., 3].astype(int)
        rows, cols = square_box(i, 640, 360)
        assert alpha[5:40, 5:40].max() <= 300  # background: transparent (of 65535)
        assert alpha[rows, cols].min() >= 65535 - 300  # object: opaque
        assert abs(alpha[hole_box(640, 360)].mean() - 128 * 257) < 400  # straight 50 %
    first = (video.frames[0] >> 8).astype(int)
    rows, cols = square_box(0, 640, 360)
    assert np.abs(first[rows, cols][5:-5, 5:-5, :3] - OBJECT_RGB).max() < 6
    # Straight alpha: the half-transparent patch keeps its own colour, not a darkened one.
    assert (
        np.abs(first[hole_box(640, 360)][..., :3].reshape(-1, 3).mean(0) - (200, 200, 40)).max() < 6
    )


def test_pro_variants_and_posters_are_over_bg_color(tmp_path: Path) -> None:
    files = encode_render(
        moving_square(4, 640, 360, transparent=True), tmp_path, main_codec="prores4444", bg_color=BG
    )
    for name in ("web", "thumb"):
        decoded = decode(files[name].path, fmt="rgb24", limit=1)
        assert decoded.codec == "h264" and decoded.pix_fmt == "yuv420p"
        assert np.abs(decoded.frames[0][3:20, 3:20].astype(int) - BG).max() < 8, name
    assert (decode(files["thumb"].path).width, decode(files["thumb"].path).height) == (320, 180)
    poster = np.asarray(Image.open(files["poster_full"].path))
    assert poster.shape == (360, 640, 3)  # opaque RGB: bgColor applies to pro posters
    assert tuple(poster[5, 5]) == BG
    assert Image.open(files["poster"].path).size == (480, 270)


@pytest.mark.slow
def test_pro_at_4k(tmp_path: Path) -> None:
    files = encode_render(
        moving_square(3, 3840, 2160, transparent=True),
        tmp_path,
        main_codec="prores4444",
        bg_color=BG,
    )
    video = decode(files["video"].path, limit=1)
    assert (video.codec, video.width, video.height) == ("prores", 3840, 2160)
    web = decode(files["web"].path, limit=1)
    assert (web.width, web.height) == (1280, 720)
    thumb = decode(files["thumb"].path, limit=1)
    assert (thumb.width, thumb.height) == (1920, 1080)
    assert Image.open(files["poster_full"].path).size == (3840, 2160)


@pytest.mark.slow
def test_4k_h264(tmp_path: Path) -> None:
    files = encode_render(moving_square(6, 3840, 2160), tmp_path, main_codec="h264", bg_color=BG)
    video = decode(files["video"].path)
    assert (video.codec, video.width, video.height, len(video.frames)) == ("h264", 3840, 2160, 6)
    assert (decode(files["web"].path, limit=1).width, files["web"].frames) == (1280, 6)
