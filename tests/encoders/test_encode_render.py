"""Real encoding with PyAV, checked by decoding what was written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import psutil
import pytest
from PIL import Image

from encoders import EncodeError, encode_render
from encoders.specs import video_specs


def moving_square(
    n: int, w: int = 960, h: int = 540, transparent: bool = False
) -> Iterator[np.ndarray]:
    for i in range(n):
        frame = np.zeros((h, w, 4), np.uint8)
        frame[..., :3] = (30, 60, 90)
        frame[..., 3] = 0 if transparent else 255
        x = 50 + 4 * i
        frame[h // 4 : h // 2, x : x + h // 4] = (250, 40, 20, 255)
        yield frame


def decode(path: Path) -> tuple[av.video.stream.VideoStream, list[np.ndarray], str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgba") for f in container.decode(stream)]
        return stream, frames, stream.codec_context.name


def test_share_outputs(tmp_path: Path):
    seen: list[tuple[int, int | None]] = []
    posters: list[set[str]] = []
    files = encode_render(
        moving_square(180),
        tmp_path,
        quality="share",
        bg_color=(255, 255, 255),
        total_frames=180,
        progress=lambda done, total: seen.append((done, total)),
        on_poster=lambda p: posters.append(set(p)),
    )
    assert posters == [{"poster", "poster_full"}]
    assert seen[-1] == (180, 180) and len(seen) == 180
    stream, frames, codec = decode(files["video"].path)
    assert (codec, stream.width, stream.height, len(frames)) == ("h264", 960, 540, 180)
    assert stream.pix_fmt == "yuv420p" and stream.average_rate == 30
    assert files["video"].content_type == "video/mp4"
    assert files["video"].size == files["video"].path.stat().st_size
    data = files["video"].path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # +faststart
    poster = np.asarray(Image.open(files["poster_full"].path).convert("RGBA"))
    assert poster.shape == (540, 960, 4)
    assert np.abs(poster.astype(int) - frames[0].astype(int)).mean() < 3
    small = Image.open(files["poster"].path)
    assert max(small.size) <= 480
    web_stream, web_frames, _ = decode(files["web"].path)
    assert max(web_stream.width, web_stream.height) <= 1280 and len(web_frames) == 180
    thumb_stream, _, _ = decode(files["thumb"].path)
    assert (thumb_stream.width, thumb_stream.height) == (480, 270)
    assert not list(tmp_path.glob(".*.part"))


def test_standard_web_is_smaller_and_capped(tmp_path: Path):
    files = encode_render(
        moving_square(30, 1920, 1080), tmp_path, quality="standard", bg_color=(0, 0, 0)
    )
    web_stream, _, _ = decode(files["web"].path)
    assert (web_stream.width, web_stream.height) == (1280, 720)
    assert files["web"].size < files["video"].size
    thumb_stream, _, _ = decode(files["thumb"].path)
    assert (thumb_stream.width, thumb_stream.height) == (960, 540)


def test_pro_has_a_real_alpha_channel_and_composited_variants(tmp_path: Path):
    files = encode_render(
        moving_square(6, 640, 360, transparent=True), tmp_path, quality="pro", bg_color=(0, 0, 255)
    )
    assert files["video"].path.name == "video.mov"
    assert files["video"].content_type == "video/quicktime"
    stream, frames, codec = decode(files["video"].path)
    assert codec == "prores" and "yuva" in stream.pix_fmt
    assert frames[0][5, 5, 3] == 0  # background
    assert frames[0][135, 100, 3] == 255  # object
    assert np.abs(frames[0][135, 100, :3].astype(int) - (250, 40, 20)).max() < 6
    _, web, _ = decode(files["web"].path)
    assert np.abs(web[0][5, 5, :3].astype(int) - (0, 0, 255)).max() < 12  # bgColor under it
    poster = np.asarray(Image.open(files["poster_full"].path).convert("RGB"))
    assert tuple(poster[5, 5]) == (0, 0, 255)


def test_other_aspects_take_their_size_from_the_frames():
    specs = {s.name: s for s in video_specs("share", 540, 960)}
    assert (specs["video"].width, specs["video"].height) == (540, 960)
    assert (specs["thumb"].width, specs["thumb"].height) == (270, 480)
    specs = {s.name: s for s in video_specs("4k", 3840, 2160)}
    assert (specs["web"].width, specs["web"].height) == (1280, 720)


def test_a_bad_frame_mid_stream_raises_and_leaves_no_file(tmp_path: Path):
    def frames() -> Iterator[np.ndarray]:
        yield from moving_square(5)
        yield np.zeros((100, 100, 4), np.uint8)

    with pytest.raises(EncodeError, match="size changed"):
        encode_render(frames(), tmp_path, quality="share", bg_color=(0, 0, 0))
    assert not (tmp_path / "video.mp4").exists()
    assert not list(tmp_path.glob("*.mp4")) and not list(tmp_path.glob(".*.part"))
    with pytest.raises(EncodeError, match="uint8"):
        encode_render(
            iter([np.zeros((540, 960, 4), np.float32)]),
            tmp_path,
            quality="share",
            bg_color=(0, 0, 0),
        )
    with pytest.raises(EncodeError, match="no frames"):
        encode_render(iter([]), tmp_path, quality="share", bg_color=(0, 0, 0))


def test_renderer_errors_propagate_unchanged(tmp_path: Path):
    class Boom(RuntimeError):
        pass

    def frames() -> Iterator[np.ndarray]:
        yield from moving_square(3)
        raise Boom("the model went away")

    with pytest.raises(Boom):
        encode_render(frames(), tmp_path, quality="share", bg_color=(0, 0, 0))
    assert not list(tmp_path.glob("*.mp4"))


def test_memory_stays_flat_over_many_frames(tmp_path: Path):
    process = psutil.Process()
    gen = moving_square(600, 1280, 720)
    peak = 0
    first = process.memory_info().rss

    def watch(done: int, _total: int | None) -> None:
        nonlocal peak
        if done % 50 == 0:
            peak = max(peak, process.memory_info().rss)

    files = encode_render(gen, tmp_path, quality="share", bg_color=(0, 0, 0), progress=watch)
    assert files["video"].frames == 600
    growth_mb = (peak - first) / 2**20
    assert growth_mb < 150, growth_mb  # 600 raw 720p frames would be 2.1 GB
