"""The generator contract, against a real HTTP server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from generator_server import generator_server

from workers.generator_client import GeneratorFailed, generate_glb

DUCK = (Path(__file__).resolve().parents[1] / "assets" / "Duck.glb").read_bytes()


def test_a_prompt_is_posted_and_the_glb_kept(tmp_path):
    with generator_server(DUCK) as server:
        out = generate_glb(
            server.url,
            tmp_path / "out.glb",
            prompt="a yellow duck",
            images=[],
            face_limit=5000,
            timeout_s=10,
        )
    assert out.read_bytes() == DUCK
    assert server.requests == [
        {"fields": {"prompt": "a yellow duck", "face_limit": "5000"}, "images": []}
    ]


def test_images_are_sent_as_files_in_order(tmp_path):
    views = []
    for n, name in enumerate(("front.png", "right.png")):
        (tmp_path / name).write_bytes(bytes([n]) * 10)
        views.append(tmp_path / name)
    with generator_server(DUCK) as server:
        generate_glb(
            server.url, tmp_path / "o.glb", prompt=None, images=views, face_limit=None, timeout_s=10
        )
    (request,) = server.requests
    assert request["images"] == [("front.png", b"\x00" * 10), ("right.png", b"\x01" * 10)]


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [
        (b"model server overloaded", 503, "HTTP 503: model server overloaded"),
        (b"<html>not a model</html>", 200, "its answer is not a GLB"),
    ],
)
def test_a_failing_generator_is_a_clear_error(tmp_path, answer, status, words):
    with generator_server(answer, status) as server, pytest.raises(GeneratorFailed) as err:
        generate_glb(
            server.url, tmp_path / "o.glb", prompt="x", images=[], face_limit=None, timeout_s=10
        )
    assert str(err.value).startswith("Generation service unavailable: ") and words in str(err.value)


def test_an_unreachable_generator_is_a_clear_error(tmp_path):
    with pytest.raises(GeneratorFailed, match="Generation service unavailable"):
        generate_glb(
            "http://127.0.0.1:9/gen",
            tmp_path / "o.glb",
            prompt="x",
            images=[],
            face_limit=None,
            timeout_s=2,
        )


def test_an_answer_past_the_limit_is_refused(tmp_path):
    with generator_server(DUCK) as server, pytest.raises(GeneratorFailed, match="too large"):
        generate_glb(
            server.url,
            tmp_path / "o.glb",
            prompt="x",
            images=[],
            face_limit=None,
            timeout_s=10,
            max_bytes=100,
        )
