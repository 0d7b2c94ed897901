"""Every output of a render, encoded for real and decoded with PyAV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from enc_helpers import BACKGROUND_RGB, decode, hole_box, moving_square, top_level_boxes
from PIL import Image

from encoders import FrameError, encode_render


def test_share_render_of_six_seconds(tmp_path: Path) -> None:
    files = encode_render(moving_square(180), tmp_path, main_codec="h264", bg_color=(255, 255, 255))

    assert set(files) == {"video", "web", "thumb", "poster", "poster_full"}
    video = decode(files["video"].path)
    assert (video.codec, video.width, video.height) == ("h264", 960, 540)
    assert len(video.frames) == 180 == files["video"].frames
    assert video.pix_fmt == "yuv420p"
    assert video.rate == 30
    assert abs(video.duration_s - 6.0) < 0.05
    assert files["video"].path.name == "video.mp4"
    assert files["video"].content_type == "video/mp4"
    assert files["video"].size == files["video"].path.stat().st_size
    boxes = top_level_boxes(files["video"].path)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart


def test_web_and_thumb_are_browser_ready(tmp_path: Path) -> None:
    files = encode_render(
        moving_square(12, texture=True), tmp_path, main_codec="h264", bg_color=(255, 255, 255)
    )
    for name in ("web", "thumb"):
        boxes = top_level_boxes(files[name].path)
        assert boxes.index("moov") < boxes.index("mdat"), (name, boxes)
        decoded = decode(files[name].path)
        assert (decoded.codec, decoded.pix_fmt, decoded.rate) == ("h264", "yuv420p", 30)
        assert len(decoded.frames) == 12 == files[name].frames
        assert files[name].content_type == "video/mp4"
    web = decode(files["web"].path, limit=1)
    assert (web.width, web.height) == (960, 540)  # already ≤ 1280: never scaled up
    assert files["web"].size < files["video"].size  # CRF 28 + cap vs CRF 20
    thumb = decode(files["thumb"].path, limit=1)
    assert (thumb.width, thumb.height) == (480, 270)  # a quarter of the pixels


def test_first_frame_matches_the_posters(tmp_path: Path) -> None:
    files = encode_render(moving_square(5), tmp_path, main_codec="h264", bg_color=(255, 255, 255))
    first = decode(files["video"].path, fmt="rgb24", limit=1).frames[0]
    poster = np.asarray(Image.open(files["poster_full"].path))
    assert poster.shape == (540, 960, 3)
    assert np.abs(poster.astype(int) - first.astype(int)).mean() < 2
    small = Image.open(files["poster"].path)
    assert small.size == (480, 270)
    assert files["poster"].content_type == files["poster_full"].content_type == "image/png"
    assert files["poster"].size == files["poster"].path.stat().st_size


def test_opaque_tiers_lay_translucent_pixels_over_the_background(tmp_path: Path) -> None:
    """The renderer hands RGBA even for H.264 tiers: alpha < 255 must meet bgColor."""
    bg = (0, 0, 255)
    files = encode_render(moving_square(3), tmp_path, main_codec="h264", bg_color=bg)
    first = decode(files["video"].path, fmt="rgb24", limit=1).frames[0].astype(int)
    expected = (np.array((200, 200, 40)) * 128 + np.array(bg) * 127) / 255
    patch = first[hole_box(960, 540)]
    assert np.abs(patch.reshape(-1, 3).mean(axis=0) - expected).max() < 4
    poster = np.asarray(Image.open(files["poster_full"].path)).astype(int)
    assert np.abs(poster[hole_box(960, 540)].reshape(-1, 3).mean(axis=0) - expected).max() < 1
    assert np.abs(first[5, 5] - BACKGROUND_RGB).max() < 4  # opaque pixels untouched


def test_standard_web_variant_is_capped_and_lighter(tmp_path: Path) -> None:
    files = encode_render(
        moving_square(30, 1920, 1080, texture=True),
        tmp_path,
        main_codec="h264",
        bg_color=(0, 0, 0),
    )
    video = decode(files["video"].path, limit=1)
    web = decode(files["web"].path, limit=1)
    thumb = decode(files["thumb"].path, limit=1)
    assert (video.width, video.height) == (1920, 1080)
    assert (web.width, web.height) == (1280, 720)
    assert (thumb.width, thumb.height) == (960, 540)
    assert files["web"].size < files["video"].size
    assert files["thumb"].size < files["web"].size


def test_other_aspects_take_their_size_from_the_frames(tmp_path: Path) -> None:
    portrait = encode_render(
        moving_square(4, 540, 960), tmp_path / "9x16", main_codec="h264", bg_color=(0, 0, 0)
    )
    video = decode(portrait["video"].path)
    assert (video.width, video.height, len(video.frames)) == (540, 960, 4)
    thumb = decode(portrait["thumb"].path)
    assert (thumb.width, thumb.height) == (270, 480)
    assert Image.open(portrait["poster"].path).size == (270, 480)

    square = encode_render(
        moving_square(4, 1080, 1080), tmp_path / "1x1", main_codec="h264", bg_color=(0, 0, 0)
    )
    video = decode(square["video"].path)
    assert (video.width, video.height, len(video.frames)) == (1080, 1080, 4)
    web = decode(square["web"].path)
    assert (web.width, web.height) == (1080, 1080)  # never scaled up
    assert Image.open(square["poster"].path).size == (480, 480)
    assert Image.open(square["poster_full"].path).size == (1080, 1080)


def test_colours_survive_the_round_trip(tmp_path: Path) -> None:
    """BT.709 matrix, limited range, and streams tagged so: saturated colours come back."""
    bars = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (128, 128, 128), (20, 20, 20)]
    frame = np.zeros((256, 96 * len(bars), 4), np.uint8)
    frame[..., 3] = 255
    for i, colour in enumerate(bars):
        frame[:, 96 * i : 96 * (i + 1), :3] = colour
    files = encode_render(iter([frame] * 3), tmp_path, main_codec="h264", bg_color=(0, 0, 0))
    for name in ("video", "web", "thumb"):
        decoded = decode(files[name].path, fmt="rgb24", limit=1)
        assert decoded.colorspace == 1, name  # AVCOL_SPC_BT709
        bar_w = decoded.width // len(bars)
        for i, colour in enumerate(bars):
            centre = decoded.frames[0][decoded.height // 2, bar_w * i + bar_w // 2].astype(int)
            assert np.abs(centre - colour).max() <= 6, (name, colour, centre)


def test_rgb_frames_are_accepted_as_opaque(tmp_path: Path) -> None:
    frames = (frame[..., :3] for frame in moving_square(3, 320, 180))
    files = encode_render(frames, tmp_path, main_codec="prores4444", bg_color=(0, 0, 0))
    video = decode(files["video"].path, fmt="rgba64le")
    assert len(video.frames) == 3
    assert video.frames[0][..., 3].min() > 65000  # no alpha given: fully opaque


def test_a_background_image_replaces_the_colour_under_transparent_frames(
    tmp_path: Path,
) -> None:
    """A pro render with a bgImageId: its web, thumb and posters show the image."""
    image = np.zeros((540, 960, 3), np.uint8)
    image[:, :480] = (220, 20, 20)
    image[:, 480:] = (20, 20, 220)
    files = encode_render(
        moving_square(3, transparent=True),
        tmp_path,
        main_codec="h264",
        bg_color=(0, 255, 0),
        bg_image=image,
    )
    poster = np.asarray(Image.open(files["poster_full"].path)).astype(int)
    web = decode(files["web"].path, fmt="rgb24", limit=1).frames[0].astype(int)
    for shown in (poster, web):
        assert np.abs(shown[500, 20] - (220, 20, 20)).max() < 8
        assert np.abs(shown[500, 940] - (20, 20, 220)).max() < 8


def test_a_background_image_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FrameError, match="bg_image"):
        encode_render(
            moving_square(2, transparent=True),
            tmp_path,
            main_codec="h264",
            bg_color=(0, 0, 0),
            bg_image=np.zeros((10, 10, 3), np.uint8),
        )
    assert list(tmp_path.iterdir()) == []
