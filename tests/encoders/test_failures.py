"""Failures raise one EncodeError and leave nothing under a final name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import get_args

import av
import numpy as np
import pytest
from enc_helpers import moving_square

from encoders import (
    EncodeError,
    EncoderFailed,
    EncoderUnavailable,
    FrameError,
    H264Choice,
    encode_render,
    nvenc_available,
    video,
    video_specs,
)
from encoders.video import VideoWriter
from workers.config import Settings


def final_files(out: Path) -> list[str]:
    """Everything in ``out``, temporary ``.part`` files included."""
    return sorted(p.name for p in out.iterdir()) if out.exists() else []


def test_a_frame_of_another_size_mid_stream(tmp_path: Path) -> None:
    def frames() -> Iterator[np.ndarray]:
        yield from moving_square(5)
        yield np.zeros((100, 100, 4), np.uint8)

    with pytest.raises(FrameError, match="size changed"):
        encode_render(frames(), tmp_path, main_codec="h264", bg_color=(0, 0, 0))
    assert final_files(tmp_path) == []


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (np.zeros((540, 960, 4), np.float32), "uint8"),
        (np.zeros((540, 960), np.uint8), "uint8"),
        (np.zeros((541, 960, 4), np.uint8), "even"),
        (np.zeros((540, 961, 4), np.uint8), "even"),
        (np.zeros((8, 8, 4), np.uint8), "16"),
    ],
)
def test_frames_the_encoders_cannot_take(tmp_path: Path, frame: np.ndarray, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        encode_render(iter([frame]), tmp_path, main_codec="h264", bg_color=(0, 0, 0))
    assert final_files(tmp_path) == []


def test_no_frames(tmp_path: Path) -> None:
    with pytest.raises(EncodeError, match="no frames"):
        encode_render(iter([]), tmp_path, main_codec="h264", bg_color=(0, 0, 0))


def test_unknown_main_codec_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="main codec 'av1'"):
        encode_render(moving_square(1), tmp_path, main_codec="av1", bg_color=(0, 0, 0))  # type: ignore[arg-type]
    assert final_files(tmp_path) == []


def test_an_encoder_breaking_mid_stream_stops_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The thumbnail's encoder is handed what it cannot encode at frame 5: the render stops
    early."""
    real_write = VideoWriter.write_frame

    def write_frame(self: VideoWriter, frame: av.VideoFrame) -> None:
        broken = self.spec.name == "thumb" and self.frames == 5
        real_write(self, av.AudioFrame() if broken else frame)  # type: ignore[arg-type]

    monkeypatch.setattr(VideoWriter, "write_frame", write_frame)
    pulled = 0

    def frames() -> Iterator[np.ndarray]:
        nonlocal pulled
        for frame in moving_square(10_000, 320, 180):
            pulled += 1
            yield frame

    with pytest.raises(EncoderFailed, match="thumb encoding failed: frame 5") as caught:
        encode_render(frames(), tmp_path, main_codec="h264", bg_color=(0, 0, 0))
    assert caught.value.output == "thumb"
    assert caught.value.__cause__ is not None  # PyAV's own message is kept
    assert pulled < 50  # failed fast, did not render the remaining frames
    assert final_files(tmp_path) == []  # posters and finished videos removed too


def test_an_encoder_that_cannot_start(tmp_path: Path) -> None:
    if nvenc_available():
        pytest.skip("this machine has a working NVENC")
    with pytest.raises(EncoderUnavailable, match="h264_nvenc"):
        encode_render(
            moving_square(3),
            tmp_path,
            main_codec="h264",
            bg_color=(0, 0, 0),
            h264_encoder="h264_nvenc",
        )
    assert final_files(tmp_path) == []
    with pytest.raises(EncoderUnavailable, match="x265"):
        encode_render(
            moving_square(3),
            tmp_path,
            main_codec="h264",
            bg_color=(0, 0, 0),
            h264_encoder="x265",  # type: ignore[arg-type]
        )


def test_the_setting_offers_exactly_the_encoders_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    """``MESHFARM_H264_ENCODER`` reaches the workers through Settings, which spells out the
    encoders' choices: the two lists must not drift apart."""
    annotation = Settings.model_fields["h264_encoder"].annotation
    assert get_args(annotation) == get_args(H264Choice)
    monkeypatch.setenv("MESHFARM_H264_ENCODER", "libx264")
    assert Settings(_env_file=None).h264_encoder == "libx264"
    monkeypatch.setenv("MESHFARM_H264_ENCODER", "x265")
    with pytest.raises(ValueError, match="h264_encoder"):
        Settings(_env_file=None)


def test_renderer_errors_propagate_unchanged(tmp_path: Path) -> None:
    class Boom(RuntimeError):
        pass

    def frames() -> Iterator[np.ndarray]:
        yield from moving_square(3)
        raise Boom("the model went away")

    with pytest.raises(Boom):
        encode_render(frames(), tmp_path, main_codec="h264", bg_color=(0, 0, 0))
    assert final_files(tmp_path) == []


def test_a_failing_poster_callback_cancels_the_render(tmp_path: Path) -> None:
    def on_poster(_: object) -> None:
        raise OSError("upload refused")

    with pytest.raises(OSError, match="upload refused"):
        encode_render(
            moving_square(3), tmp_path, main_codec="h264", bg_color=(0, 0, 0), on_poster=on_poster
        )
    assert final_files(tmp_path) == []


def test_nvenc_refusing_a_session_falls_back_to_libx264(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Detection said yes (monkeypatched) but this file's NVENC session does not open."""
    if nvenc_available():
        pytest.skip("this machine has a working NVENC")
    monkeypatch.setattr(video, "nvenc_available", lambda: True)
    spec = video_specs("h264", 320, 180)[1]
    writer = VideoWriter(spec, tmp_path / spec.filename)
    assert writer.codec == "libx264"
    for frame in moving_square(3, 320, 180):
        writer.write(frame)
    assert writer.close().frames == 3


def test_nvenc_gets_the_same_intent() -> None:
    web = video_specs("h264", 1920, 1080)[1]
    options = video.nvenc_options(web.options)
    assert options["cq"] == web.options["crf"] and options["rc"] == "vbr"
    assert (options["maxrate"], options["g"], options["profile"]) == ("2500k", "60", "high")
    assert "crf" not in options and "preset" in options and options["preset"] != "veryfast"
