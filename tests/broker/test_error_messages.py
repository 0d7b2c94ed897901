"""No error message names a place on the server: decoders name the staging file they read,
and a message must say what is wrong with the upload instead."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile

from PIL import Image

from testdata import ASSETS


def _png(size: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.frombytes("RGB", (size, size), os.urandom(size * size * 3)).save(buf, "PNG")
    return buf.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


OVERLAYS = {
    "garbage.png": b"hello, this is not an image at all",
    "magic-only.png": b"\x89PNG\r\n\x1a\n" + bytes(100),
    "truncated.png": _png()[:200],
    "image.gif": b"GIF89a" + bytes(50),
}
MODELS = {
    "garbage.glb": b"not a glb file at all, just text",
    "truncated.glb": (ASSETS / "Duck.glb").read_bytes()[:5000],
    "garbage.zip": b"PK\x03\x04 but nothing after that",
    "escape.zip": _zip({"../../evil.gltf": b"{}"}),
    "missing-bin.gltf": b'{"asset":{"version":"2.0"},'
    b'"buffers":[{"uri":"gone.bin","byteLength":4}]}',
}


def _assert_no_server_place(message: str, *places: str) -> None:
    for place in places:
        assert place not in message, (place, message)


def test_no_error_message_names_a_server_path(client, user, ctx, tmp_path):
    places = (
        str(tmp_path),
        tempfile.gettempdir() + "/",
        str(ctx.settings.data_dir),
        str(ctx.settings.tmp_dir),
        "staging",
        "<file>",  # a scrubbed path still means the message said nothing useful
    )
    messages = {}
    for name, data in OVERLAYS.items():
        res = client.post("/v1/overlays", headers=user.headers, files={"file": (name, data)})
        assert res.status_code == 400, (name, res.text)
        messages[name] = res.json()["error"]["message"]
    for name, data in MODELS.items():
        res = client.post("/v1/models", headers=user.headers, files={"file": (name, data)})
        assert res.status_code == 400, (name, res.text)
        messages[name] = res.json()["error"]["message"]
    for message in messages.values():
        _assert_no_server_place(message, *places)
    assert messages["garbage.png"].endswith("the data is not a PNG, JPEG or WebP image")
    assert messages["magic-only.png"].endswith("the data is not a PNG, JPEG or WebP image")
