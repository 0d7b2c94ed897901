"""The generator contract: how a generated SimReady job gets its model from the operator's
self-hosted text/image-to-3D server (``MESHFARM_GENERATOR_URL``; docs/physics.md).

One ``POST <url>`` per job, ``multipart/form-data`` with either a ``prompt`` text field
or 1–4 files in ``images``, and ``face_limit`` when the caller set it; the server answers
``200`` with the model as a binary glTF (``model/gltf-binary``) in the body, or any other
status with a reason in its body. The answer must start with the GLB magic and stay under
the upload limit. No generative model ships with meshfarm (none can be installed here);
``builtin:silhouette`` instead of a URL runs the classical one that does ship
(:mod:`workers.builtin_generator`) in the worker, under the same function.
"""

from __future__ import annotations

import secrets
import urllib.error
import urllib.request
from pathlib import Path

from exchange.errors import AssetInvalid
from workers import builtin_generator

GLB_MAGIC = b"glTF"
CHUNK = 1024 * 1024
MAX_BYTES = 500 * 1024 * 1024
"""What a model upload may weigh (Rigyd's limit): a generated model is held to it too."""


class GeneratorFailed(AssetInvalid):
    """The generator could not make the model (its reason, for the caller)."""


def refusal(url: str, *, prompt: str | None, images: int) -> str | None:
    """Why the generator at ``url`` cannot take this request, known before it runs — only a
    built-in one can say (an HTTP server is asked), so the broker can refuse it before
    any credit is taken."""
    if builtin_generator.is_builtin(url):
        return builtin_generator.refusal(url, prompt=prompt, images=images)
    return None


def _multipart(fields: dict[str, str], files: list[Path]) -> tuple[bytes, str]:
    boundary = "meshfarm" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for path in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="images"; '
            f'filename="{path.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def generate_glb(
    url: str,
    dest: Path,
    *,
    prompt: str | None,
    images: list[Path],
    face_limit: int | None,
    timeout_s: float,
    max_bytes: int = MAX_BYTES,
) -> Path:
    if builtin_generator.is_builtin(url):
        try:
            return builtin_generator.generate(
                url, dest, prompt=prompt, images=images, face_limit=face_limit
            )
        except builtin_generator.BuiltinRefused as exc:
            raise GeneratorFailed(str(exc)) from None
    fields = {"prompt": prompt} if prompt else {}
    if face_limit is not None:
        fields["face_limit"] = str(face_limit)
    body, content_type = _multipart(fields, images)
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer, dest.open("wb") as out:
            size = 0
            while chunk := answer.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise GeneratorFailed("Generation service unavailable: the model is too large")
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        reason = exc.read(500).decode("utf-8", "replace").strip() or exc.reason
        raise GeneratorFailed(
            f"Generation service unavailable: HTTP {exc.code}: {reason}"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        why = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise GeneratorFailed(f"Generation service unavailable: {why}") from None
    with dest.open("rb") as model:
        if model.read(4) != GLB_MAGIC:
            raise GeneratorFailed("Generation service unavailable: its answer is not a GLB")
    return dest
