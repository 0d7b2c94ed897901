"""What a model's images and ZIP members cost the worker: each decoded once, only what is
referenced read, big textures downscaled to the most a frame can show."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import hostile_models as hm
import numpy as np

from renderer import limits, load_scene
from renderer.images import decode_image


def test_identical_image_bytes_are_decoded_once(tmp_path: Path) -> None:
    """Twelve images entries naming one PNG: before, twelve decodes (3.2 GB for 8192²)."""
    path = tmp_path / "twelve.glb"
    path.write_bytes(hm.textured_glb(hm.png(64, 32), images=12))
    scene = load_scene(path)
    assert len(scene.images) == 12
    first = scene.images[0].pixels
    assert first.shape == (32, 64, 4)
    assert all(image.pixels is first for image in scene.images)


def test_different_images_stay_apart() -> None:
    a, b = decode_image(hm.png(8, 8), "a"), decode_image(hm.png(8, 9), "b")
    assert a is not b and a.shape != b.shape


def test_texture_larger_than_a_frame_shows_is_downscaled() -> None:
    side = limits.MAX_TEXTURE_SIDE
    pixels = decode_image(hm.png(2 * side + 10, 12), "wide")
    assert pixels.shape[1:] == (side, 4) and pixels.shape[0] < 12
    assert not pixels.flags.writeable


def test_zip_members_the_model_does_not_reference_are_not_read(tmp_path: Path) -> None:
    """Before, every member was inflated into memory (a 500 MB block of zeros cost 1 GB),
    so a corrupt member nothing references failed the render."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("model.gltf", hm.gltf_json())
        zf.writestr("unused.bin", b"x" * 4096)
    path = tmp_path / "model.zip"
    path.write_bytes(hm.corrupt_member(buf.getvalue(), "unused.bin"))
    scene = load_scene(path)
    assert scene.triangle_count == 1
    assert np.isfinite(scene.meshes[0].primitives[0].positions).all()


def test_identical_images_become_one_gpu_texture(make_gltf) -> None:  # type: ignore[no-untyped-def]
    """Entries naming one PNG share a texture: twelve entries of one 8192² PNG (downscaled
    to 4096²) were twelve 64 MB GPU textures."""
    import base64

    from renderer import Renderer, RenderSettings

    uri = "data:image/png;base64," + base64.b64encode(hm.png(64, 32)).decode()
    n = 4
    prim = {"attributes": {"POSITION": 1, "TEXCOORD_0": 2}, "indices": 0}
    path = make_gltf(
        extra={
            "images": [{"uri": uri} for _ in range(n)],
            "textures": [{"source": i} for i in range(n)],
            "materials": [
                {"pbrMetallicRoughness": {"baseColorTexture": {"index": i}}} for i in range(n)
            ],
            "meshes": [{"primitives": [{**prim, "material": i} for i in range(n)]}],
        }
    )
    scene = load_scene(path)
    assert len(scene.images) == n
    with Renderer(RenderSettings(width=64, height=36, length=1.0)) as renderer:
        renderer.render_frame(scene, 0)
        job = renderer._job
        assert job is not None
        assert len(job.gpu._textures) == 1
