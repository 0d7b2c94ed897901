"""Small files that cost a careless server a lot: built here, byte by byte, for the upload
tests and for ``bench/bombs_bench.py`` (which builds the issue's full-size variants).

Every builder returns the bytes of one upload; sizes are parameters so a test can keep
them tiny and lower the matching limit instead.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from typing import Any

TRIANGLE = struct.pack("<9f", 0, 0, 0, 1, 0, 0, 0, 1, 0)
"""Three float32 VEC3 positions: the smallest drawable geometry."""


def glb(doc: dict[str, Any], bin_chunk: bytes = b"") -> bytes:
    """A GLB of ``doc`` (buffer 0's byteLength filled in when missing) and ``bin_chunk``."""
    if bin_chunk and doc.get("buffers") and "byteLength" not in doc["buffers"][0]:
        doc["buffers"][0]["byteLength"] = len(bin_chunk)
    raw = json.dumps(doc, allow_nan=True).encode()
    raw += b" " * (-len(raw) % 4)
    chunks = struct.pack("<II", len(raw), 0x4E4F534A) + raw
    if bin_chunk:
        padded = bin_chunk + b"\0" * (-len(bin_chunk) % 4)
        chunks += struct.pack("<II", len(padded), 0x004E4942) + padded
    return b"glTF" + struct.pack("<II", 2, 12 + len(chunks)) + chunks


def triangle_doc(**extra: Any) -> dict[str, Any]:
    """One triangle in buffer 0 (bytes 0..36 of the BIN chunk), plus ``extra`` keys."""
    doc: dict[str, Any] = {
        "asset": {"version": "2.0"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
        "buffers": [{}],
        "bufferViews": [{"buffer": 0, "byteLength": 36}],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 3,
                "type": "VEC3",
                "min": [0, 0, 0],
                "max": [1, 1, 0],
            }
        ],
    }
    doc.update(extra)
    return doc


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, *, gray1: bool = False) -> bytes:
    """A real, decodable PNG of zeros (RGB 8-bit, or 1-bit grey for huge claims).

    Zero rows deflate ~1000:1, so an 8192² image is ~200 KB and decodes to 200 MB.
    """
    depth, colour, channels_bits = (1, 0, 1) if gray1 else (8, 2, 24)
    row = b"\0" * (1 + (width * channels_bits + 7) // 8)
    comp = zlib.compressobj(9)
    parts = []
    block = row * max(1, (1 << 20) // len(row))
    rows_per_block = len(block) // len(row)
    done = 0
    while done < height:
        n = min(rows_per_block, height - done)
        parts.append(comp.compress(block[: n * len(row)]))
        done += n
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height`` but holds no pixels (header checks)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b""))
        + _chunk(b"IEND", b"")
    )


def textured_glb(image: bytes, *, images: int = 1, textures_per_image: bool = True) -> bytes:
    """The triangle with ``images`` entries that all point at the same embedded ``image``."""
    offset = 36 + (-len(TRIANGLE) % 4)
    n = images
    doc = triangle_doc(
        bufferViews=[
            {"buffer": 0, "byteLength": 36},
            {"buffer": 0, "byteOffset": offset, "byteLength": len(image)},
        ],
        images=[{"bufferView": 1, "mimeType": "image/png"} for _ in range(n)],
        textures=[{"source": i} for i in range(n if textures_per_image else 1)],
        materials=[
            {"pbrMetallicRoughness": {"baseColorTexture": {"index": i}}}
            for i in range(n if textures_per_image else 1)
        ],
    )
    doc["meshes"] = [
        {"primitives": [{"attributes": {"POSITION": 0}, "material": i} for i in range(n)]}
    ]
    return glb(doc, TRIANGLE + b"\0" * (offset - 36) + image)


def zero_accessor_glb(count: int, *, attribute: str = "COLOR_0", kind: str = "VEC4") -> bytes:
    """An attribute accessor with no bufferView: ``count`` zero-filled elements, ~500 bytes."""
    doc = triangle_doc()
    doc["accessors"].append({"componentType": 5126, "count": count, "type": kind})
    doc["meshes"][0]["primitives"][0]["attributes"][attribute] = 1
    return glb(doc, TRIANGLE)


def sparse_accessor_glb(count: int) -> bytes:
    """A sparse accessor of ``count`` elements (zero-filled base) with one substituted value."""
    doc = triangle_doc()
    sparse_bin = struct.pack("<I", 0) + struct.pack("<3f", 1, 1, 1)
    doc["bufferViews"] += [
        {"buffer": 0, "byteOffset": 36, "byteLength": 4},
        {"buffer": 0, "byteOffset": 40, "byteLength": 12},
    ]
    doc["accessors"].append(
        {
            "componentType": 5126,
            "count": count,
            "type": "VEC3",
            "sparse": {
                "count": 1,
                "indices": {"bufferView": 1, "componentType": 5125},
                "values": {"bufferView": 2},
            },
        }
    )
    doc["meshes"][0]["primitives"][0]["targets"] = [{"POSITION": 1}]
    return glb(doc, TRIANGLE + sparse_bin)


def instanced_glb(instances: int, triangles: int) -> bytes:
    """One mesh of ``triangles`` (degenerate, via indices) drawn by ``instances`` nodes."""
    doc = triangle_doc()
    index_bytes = b"\0" * (12 * triangles)
    doc["bufferViews"].append({"buffer": 0, "byteOffset": 36, "byteLength": len(index_bytes)})
    doc["accessors"].append(
        {"bufferView": 1, "componentType": 5125, "count": 3 * triangles, "type": "SCALAR"}
    )
    doc["meshes"][0]["primitives"][0]["indices"] = 1
    doc["nodes"] = [{"children": list(range(1, instances + 1))}] + [
        {"mesh": 0} for _ in range(instances)
    ]
    return glb(doc, TRIANGLE + index_bytes)


def with_accessors(doc: dict[str, Any], *blocks: tuple[bytes, dict[str, Any]]) -> bytes:
    """A GLB of ``doc`` (the triangle's, or one like it) with each block's bytes after the
    triangle in the BIN chunk, each as a bufferView and an accessor (``componentType``,
    ``type``, ``count`` from the block's dict): accessors 1, 2, … in order."""
    data = TRIANGLE
    for payload, accessor in blocks:
        data += b"\0" * (-len(data) % 4)
        view = {"buffer": 0, "byteOffset": len(data), "byteLength": len(payload)}
        doc["bufferViews"].append(view)
        doc["accessors"].append({"bufferView": len(doc["bufferViews"]) - 1, **accessor})
        data += payload
    return glb(doc, data)


def floats(kind: str, *values: float) -> tuple[bytes, dict[str, Any]]:
    """A block for :func:`with_accessors`: float32 ``values`` as elements of ``kind``."""
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}[kind]
    accessor = {"componentType": 5126, "type": kind, "count": len(values) // width}
    return struct.pack(f"<{len(values)}f", *values), accessor


def lit_gltf(*lights: dict[str, Any], node_light: int = 0) -> bytes:
    """The triangle .gltf lit by KHR_lights_punctual ``lights``; a second root node holds
    light ``node_light``."""
    doc = triangle_doc(
        extensionsUsed=["KHR_lights_punctual"],
        extensions={"KHR_lights_punctual": {"lights": list(lights)}},
    )
    light = {"KHR_lights_punctual": {"light": node_light}}
    doc["nodes"].append({"translation": [0, 0, 2], "extensions": light})
    doc["scenes"][0]["nodes"].append(1)
    return gltf_json(doc)


def variants_gltf(mapping: dict[str, Any], *, variants: Any = ({"name": "Ruby"},)) -> bytes:
    """The triangle .gltf with KHR_materials_variants ``variants`` and two materials; its
    primitive (material 0) maps variants to a material by ``mapping``."""
    doc = triangle_doc(
        extensionsUsed=["KHR_materials_variants"],
        extensions={"KHR_materials_variants": {"variants": list(variants)}},
        materials=[{}, {"pbrMetallicRoughness": {"baseColorFactor": [1, 0, 0, 1]}}],
    )
    doc["meshes"][0]["primitives"][0].update(
        material=0, extensions={"KHR_materials_variants": {"mappings": [mapping]}}
    )
    return gltf_json(doc)


def instanced_node_glb(
    attributes: dict[str, tuple[bytes, dict[str, Any]]], *, doc: dict[str, Any] | None = None
) -> bytes:
    """The triangle's node drawn by EXT_mesh_gpu_instancing, an instance per element of
    the ``attributes`` blocks (see :func:`floats`)."""
    doc = doc or triangle_doc()
    doc["extensionsUsed"] = ["EXT_mesh_gpu_instancing"]
    names = {name: i + len(doc["accessors"]) for i, name in enumerate(attributes)}
    doc["nodes"][0]["extensions"] = {"EXT_mesh_gpu_instancing": {"attributes": names}}
    return with_accessors(doc, *attributes.values())


def instanced_mesh_glb(triangles: int, instances: int) -> bytes:
    """One node drawing a mesh of ``triangles`` (degenerate, via indices) as ``instances``
    EXT_mesh_gpu_instancing instances."""
    doc = triangle_doc(extensionsUsed=["EXT_mesh_gpu_instancing"])
    doc["meshes"][0]["primitives"][0]["indices"] = 1
    doc["nodes"][0]["extensions"] = {"EXT_mesh_gpu_instancing": {"attributes": {"TRANSLATION": 2}}}
    indices = (
        b"\0" * 12 * triangles,
        {"componentType": 5125, "type": "SCALAR", "count": 3 * triangles},
    )
    return with_accessors(doc, indices, floats("VEC3", *[0.0] * 3 * instances))


def material_gltf(material: dict[str, Any], **extra: Any) -> bytes:
    """The triangle .gltf drawn with ``material`` (``extra``: more top-level keys)."""
    doc = triangle_doc(materials=[material], **extra)
    doc["meshes"][0]["primitives"][0]["material"] = 0
    return gltf_json(doc)


def patch_glb(data: bytes, patch: Any) -> bytes:
    """The GLB ``data`` with its JSON changed by ``patch(doc)`` (its BIN chunk kept)."""
    json_len = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20 : 20 + json_len])
    rest = data[20 + json_len :]
    bin_chunk = rest[8 : 8 + struct.unpack_from("<I", rest)[0]] if rest else b""
    patch(doc)
    return glb(doc, bin_chunk)


def gltf_json(doc: dict[str, Any] | None = None, raw: bytes | None = None) -> bytes:
    """A .gltf with the triangle as a data URI; ``raw`` replaces the JSON text wholesale."""
    if raw is not None:
        return raw
    import base64

    doc = doc or triangle_doc()
    doc["buffers"] = [
        {
            "byteLength": 36,
            "uri": "data:application/octet-stream;base64," + base64.b64encode(TRIANGLE).decode(),
        }
    ]
    return json.dumps(doc, allow_nan=True).encode()


def triangle_gltf(mode: int | None = None, **node: Any) -> bytes:
    """The triangle .gltf, its primitive drawn in ``mode``, its node patched with ``node``."""
    doc = triangle_doc()
    if mode is not None:
        doc["meshes"][0]["primitives"][0]["mode"] = mode
    doc["nodes"][0].update(node)
    return gltf_json(doc)


def deep_json(levels: int) -> bytes:
    """The triangle .gltf with an ``extras`` nested ``levels`` arrays deep."""
    text = gltf_json().decode()
    return (text[:-1] + ', "extras": ' + "[" * levels + "]" * levels + "}").encode()


def big_int_json(digits: int) -> bytes:
    text = gltf_json().decode()
    return (text[:-1] + ', "extras": {"n": ' + "9" * digits + "}}").encode()


OBJ_TRIANGLE = b"v 0 0 0\nv 1 0 0\nv 0 1 0\n"


def zip_bytes(entries: dict[str, bytes], *, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, payload in entries.items():
            zf.writestr(zipfile.ZipInfo(name), payload, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def obj_zip(triangles: int, *, extra: dict[str, bytes] | None = None) -> bytes:
    """An OBJ of ``triangles`` identical faces over three vertices, deflated (~1:300)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("scan.obj", "w") as out:
            out.write(OBJ_TRIANGLE)
            block = b"f 1 2 3\n" * 65536
            left = triangles
            while left > 0:
                n = min(left, 65536)
                out.write(block[: 8 * n])
                left -= n
        for name, payload in (extra or {}).items():
            zf.writestr(name, payload)
    return buf.getvalue()


def zeros_member_zip(model_name: str, model: bytes, zeros: int) -> bytes:
    """A small model beside an unreferenced member of ``zeros`` zero bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr(model_name, model)
        with zf.open("padding.bin", "w") as out:
            block = b"\0" * (1 << 20)
            left = zeros
            while left > 0:
                out.write(block[: min(left, len(block))])
                left -= len(block)
    return buf.getvalue()


def encrypt_flag(archive: bytes, name: str) -> bytes:
    """Set the 'encrypted' bit of entry ``name`` (local and central headers), as a tool
    that used ZipCrypto would; the payload stays as it is."""
    out = bytearray(archive)
    encoded = name.encode()
    for sig, flag_at, name_len_at, name_at in (
        (b"PK\x03\x04", 6, 26, 30),
        (b"PK\x01\x02", 8, 28, 46),
    ):
        pos = out.find(sig)
        while pos != -1:
            n = struct.unpack_from("<H", out, pos + name_len_at)[0]
            if bytes(out[pos + name_at : pos + name_at + n]) == encoded:
                flags = struct.unpack_from("<H", out, pos + flag_at)[0]
                struct.pack_into("<H", out, pos + flag_at, flags | 0x1)
            pos = out.find(sig, pos + 4)
    return bytes(out)


def corrupt_member(archive: bytes, name: str) -> bytes:
    """Flip the last data byte of stored entry ``name``: its CRC no longer matches, so
    inflating it fails (a member nothing should read)."""
    info = zipfile.ZipFile(io.BytesIO(archive)).getinfo(name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    out = bytearray(archive)
    out[start + info.compress_size - 1] ^= 0xFF
    return bytes(out)
