"""The generator contract, against a real HTTP server on loopback, and the built-in
silhouette generator on meshfarm's own views of the duck."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh
from generator_server import generator_server
from PIL import Image

from reconstruction import DEFAULT_HEIGHT_M
from renderer import load_scene
from workers.builtin_generator import SILHOUETTE
from workers.generator_client import GeneratorFailed, generate_glb, refusal
from workers.views_job import render_views

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DUCK = (ASSETS / "Duck.glb").read_bytes()


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


@pytest.fixture(scope="module")
def duck_views(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Meshfarm's own front, right, back and left views of the duck (the views job)."""
    files = render_views(load_scene(ASSETS / "Duck.glb"), tmp_path_factory.mktemp("views"))
    return [files[name] for name in ("front", "right", "back", "left")]


def test_the_builtin_generator_carves_the_views(tmp_path, duck_views):
    out = generate_glb(
        SILHOUETTE,
        tmp_path / "duck.glb",
        prompt=None,
        images=duck_views,
        face_limit=3000,
        timeout_s=10,
    )
    mesh = trimesh.load(out, force="mesh")
    assert len(mesh.faces) <= 3000
    # Pictures carry no scale: the duck comes out DEFAULT_HEIGHT_M tall, its length and
    # depth in the duck's own proportions.
    lo, hi = mesh.bounds
    width, height, depth = hi - lo
    assert height == pytest.approx(DEFAULT_HEIGHT_M, rel=0.01)
    assert width / height == pytest.approx(1.074, rel=0.05)
    assert depth / height == pytest.approx(0.748, rel=0.05)


@pytest.mark.parametrize(
    ("prompt", "count", "words"),
    [
        ("a yellow duck", 0, "A text prompt cannot be turned into a model here"),
        (None, 1, "One picture cannot be turned into a model here"),
    ],
)
def test_the_builtin_generator_says_what_it_needs(tmp_path, duck_views, prompt, count, words):
    message = refusal(SILHOUETTE, prompt=prompt, images=count)
    assert message is not None and message.startswith(words)
    assert "2 to 4 pictures of one object on a plain background" in message
    with pytest.raises(GeneratorFailed) as err:
        generate_glb(
            SILHOUETTE,
            tmp_path / "o.glb",
            prompt=prompt,
            images=duck_views[:count],
            face_limit=None,
            timeout_s=10,
        )
    assert str(err.value) == message


def test_an_http_generator_is_never_refused_in_advance():
    assert refusal("http://gpu-box:8080/generate", prompt="a mug", images=0) is None
    assert refusal(SILHOUETTE, prompt=None, images=4) is None


def test_an_unknown_builtin_generator(tmp_path):
    with pytest.raises(GeneratorFailed, match="unknown built-in generator 'builtin:nerf'"):
        generate_glb(
            "builtin:nerf", tmp_path / "o.glb", prompt="x", images=[], face_limit=None, timeout_s=1
        )


def test_pictures_the_builtin_generator_cannot_use(tmp_path, duck_views):
    noise = tmp_path / "noise.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)).save(noise)
    with pytest.raises(GeneratorFailed) as err:
        generate_glb(
            SILHOUETTE,
            tmp_path / "o.glb",
            prompt=None,
            images=[duck_views[0], noise],
            face_limit=None,
            timeout_s=10,
        )
    assert str(err.value) == (
        "The pictures cannot be carved into a model: noise.png: the background is not "
        "plain — photograph the object against one even colour (or give a PNG with "
        "transparency) so it can be cut out"
    )
