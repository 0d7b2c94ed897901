"""Rigyd's uploads: a 3D model's ``file`` part streamed to a staging file (500 MB at most),
its name and format checked from the part's headers, a ZIP's layout checked from its
central directory; or a generation's prompt or 1–4 images (10 MB each); and the form's
fields read into an order — all before any credit is taken, as the seed promises ("401
and 400 never charge")."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from broker.context import AppContext
from broker.errors import InvalidFormat, InvalidRequest, PayloadTooLarge, Unprocessable
from broker.ingest.form_uploads import StagedForm, UploadRules, receive_form
from broker.safe_json import loads
from broker.services.conversions import Upload
from broker.services.simready import BuildOrder, GenerateOrder
from workers.usd_zip import primary_layers, visible_files

MAX_UPLOAD_BYTES = 500 * 1024 * 1024
ACCEPTED = ("glb", "gltf", "fbx", "obj", "stl", "ply", "usd", "usda", "usdc", "usdz", "zip")
"""The seed's list; meshfarm also reads COLLADA (dae, zae), accepted beside it."""
EXTRA = ("dae", "zae")
PRIMARY = (".obj", ".gltf", ".glb")
"""What a ZIP's one model may be besides a USD layer (its textures and buffers beside it)."""
TEXTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".ktx2")
TREE_LIMIT = 1000
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class ZipLayout(InvalidRequest):
    message = "Archive must contain exactly one .obj/.gltf/.usd file"


def check_name(filename: str) -> str:
    """The upload's format by its suffix; the name itself must be a plain file name."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    if not name or name in (".", "..") or name.startswith(".") or len(filename) > 255:
        raise InvalidRequest("Invalid filename")
    suffix = PurePosixPath(name).suffix.lower().lstrip(".")
    if suffix not in ACCEPTED + EXTRA:
        shown = f".{suffix}" if suffix else "(none)"
        raise InvalidFormat(f"Unsupported format: {shown}. Allowed: {', '.join(ACCEPTED)}")
    return suffix


async def receive_model(request: Request, ctx: AppContext) -> tuple[StagedForm, Any]:
    """The staged form (its one file) and, for a ZIP, what it holds; the caller discards."""
    rules = UploadRules(
        "file", MAX_UPLOAD_BYTES, 1, True, "File too large (max 500MB): {name}", check_name
    )
    form = await receive_form(request, ctx.settings.tmp_dir, rules)
    try:
        staged = form.files[0]
        if staged.path is None or staged.size == 0:
            raise InvalidRequest(f"{staged.filename!r} is empty")
        meta = zip_layout(staged.path) if check_name(staged.filename) == "zip" else None
    except BaseException:
        form.discard()
        raise
    return form, meta


def zip_layout(path: Path) -> dict[str, Any]:
    """The archive's one model (an OBJ, a glTF or a USD layer that no other layer of it
    refers to), its textures and its file tree (``input.metadata``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            visible = visible_files(archive)
            primaries = [n for n in visible if n.lower().endswith(PRIMARY)]
            primaries += primary_layers(archive, visible)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidRequest("Invalid ZIP archive") from None
    if len(primaries) != 1:
        raise ZipLayout()
    return {
        "primary_file": primaries[0],
        "textures": [n for n in visible if n.lower().endswith(TEXTURE_SUFFIXES)][:TREE_LIMIT],
        "file_tree": visible[:TREE_LIMIT],
    }


def build_order(fields: dict[str, str]) -> BuildOrder:
    parameters: dict[str, Any] = {}
    count = _integer(fields, "target_triangle_count")
    if count is not None:
        if not 1_000 <= count <= 1_000_000:
            raise InvalidRequest("target_triangle_count must be between 1000 and 1000000")
        parameters["target_triangle_count"] = count
    threshold = _number(fields, "threshold")
    if threshold is not None:
        if not 0 < threshold <= 1:
            raise InvalidRequest("threshold must be greater than 0 and at most 1")
        parameters["threshold"] = threshold
    provider = fields.get("llm_provider", "").strip() or None
    if provider is not None:
        parameters["llm_provider"] = provider
    skip = _flag(fields, "skip_validation")
    if "skip_validation" in fields:
        parameters["skip_validation"] = skip
    if "optimize" in fields:  # the rigyd SDK sends it with a triangle count
        parameters["optimize"] = _flag(fields, "optimize")
    return BuildOrder(
        target_triangle_count=count,
        threshold=threshold,
        material_provider=provider,
        skip_validation=skip,
        parameters=parameters,
    )


def _integer(fields: dict[str, str], name: str) -> int | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be an integer") from None


def _number(fields: dict[str, str], name: str) -> float | None:
    raw = fields.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InvalidRequest(f"{name} must be a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidRequest(f"{name} must be a number")
    return value


def _flag(fields: dict[str, str], name: str) -> bool:
    raw = fields.get(name, "").strip().lower()
    if not raw or raw in FALSE:
        return False
    if raw in TRUE:
        return True
    raise InvalidRequest(f"{name} must be true or false")


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGES = 4
MAX_PROMPT = 500
MAX_TEXT_BODY = 64 * 1024
MAX_TEXT_FIELDS = 16


def check_image_name(filename: str) -> None:
    if not filename.lower().endswith(IMAGE_SUFFIXES):
        raise Unprocessable(f"Unsupported image format: {PurePosixPath(filename).name}")


def _too_many(limit: int) -> Unprocessable:
    return Unprocessable(f"Maximum {limit} images are supported")


async def receive_generate(request: Request, ctx: AppContext) -> StagedForm:
    """The prompt or the images, from a multipart or URL-encoded form or a JSON body (the
    rigyd SDK posts ``{"prompt": …}`` as JSON)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        rules = UploadRules(
            "images[]",
            MAX_IMAGE_BYTES,
            MAX_IMAGES,
            True,
            "Image too large (max 10MB): {name}",
            check_image_name,
            other_fields=("images",),
            too_many=_too_many,
        )
        return await receive_form(request, ctx.settings.tmp_dir, rules, files_required=False)
    raw = await _small_body(request)
    if kind == "application/json":
        body = loads(raw, "The request body")
        if not isinstance(body, dict):
            raise InvalidRequest("The request body must be a JSON object")
        return StagedForm(fields={k: str(v) for k, v in body.items() if v is not None})
    fields = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=MAX_TEXT_FIELDS)
    return StagedForm(fields={k: v[-1] for k, v in fields.items()})


async def _small_body(request: Request) -> bytes:
    """A text body (JSON or URL-encoded), refused past :data:`MAX_TEXT_BODY` as it streams."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_TEXT_BODY:
            raise PayloadTooLarge(f"A text body is at most {MAX_TEXT_BODY // 1024} KB")
    return bytes(body)


def generate_order(form: StagedForm) -> GenerateOrder:
    prompt = form.fields.get("prompt", "").strip() or None
    if prompt and form.files:
        raise Unprocessable("Provide either a text prompt or image(s), not both")
    if not prompt and not form.files:
        raise Unprocessable("Provide a text prompt or at least one image")
    if prompt and len(prompt) > MAX_PROMPT:
        raise Unprocessable("Prompt must be 500 characters or less")
    images = []
    for staged in form.files:
        if staged.path is None or staged.size == 0:
            raise InvalidRequest(f"{staged.filename!r} is empty")
        images.append(Upload(staged.path, staged.filename, staged.size))
    build = build_order(form.fields)
    face_limit = _integer(form.fields, "face_limit")
    if face_limit is not None:
        if face_limit < 1:
            raise InvalidRequest("face_limit must be a positive integer")
        build.parameters["face_limit"] = face_limit
    if prompt:
        build.parameters["prompt"] = prompt
    for name in ("model_version",):
        if form.fields.get(name):
            build.parameters[name] = form.fields[name]
    return GenerateOrder(prompt=prompt, images=images, build=build, face_limit=face_limit)
