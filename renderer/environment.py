"""Lighting environments: equirectangular radiance maps, loaded, built in or made from arrays.

An :class:`Environment` is the whole image-based light of a render: the renderer derives
its diffuse (spherical harmonics) and specular (GGX-prefiltered) tables from it on the
GPU, once per map content (see :mod:`renderer.ibl`). Files are Radiance ``.hdr`` (RGBE,
read and written with imagecodecs) or OpenEXR (the OpenEXR project's bindings); the
format is told by the file's magic bytes, not its name. Maps wider than
:data:`MAX_WIDTH` are box-filtered down: finer detail cannot show in a 1080p reflection
and would only cost memory.

Orientation follows :mod:`renderer.studio`: row 0 looks up (+Y), the centre column looks
along +X, a quarter of the width in looks along −Z (the glTF Sample Viewer, three.js
and Blender convention, so one .hdr lights all of them the same way).
"""

from __future__ import annotations

import hashlib
import io
import struct
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np

from renderer.errors import InvalidSettings
from renderer.studio import studio_radiance

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_PIXELS = 64 * 1024 * 1024
"""A header claiming more is refused before decoding (a 16k×8k map is 128 M)."""
MAX_WIDTH = 2048
MAX_RADIANCE = 1.0e6
"""Brighter texels are clipped: a sun of 10⁶ is already far past anything an 8-bit frame
shows, and it keeps sums of texels finite in float32."""
BUILTIN_ENVIRONMENTS = ("studio",)
_EXR_MAGIC = b"\x76\x2f\x31\x01"
HEADER_BYTES = 64 * 1024
"""Enough of a file's start to hold its header (:func:`map_size`)."""


class InvalidEnvironment(InvalidSettings):
    """The environment map could not be read (not .hdr/.exr, broken, too large)."""


@dataclass(frozen=True)
class Environment:
    """An equirectangular linear-radiance map: H×W×3 float32, read-only.

    ``digest`` (SHA-256 of shape and pixels) identifies the content: two loads of the
    same file share their GPU tables. ``name`` is for messages and logs only.
    """

    radiance: np.ndarray = field(repr=False, compare=False)
    name: str
    digest: str

    @property
    def width(self) -> int:
        return int(self.radiance.shape[1])

    @property
    def height(self) -> int:
        return int(self.radiance.shape[0])


def environment_from_array(rgb: np.ndarray, name: str = "array") -> Environment:
    """An environment from any H×W×3 (or H×W×4, alpha ignored) linear float array.

    NaN and negative texels are refused; +Inf and texels above :data:`MAX_RADIANCE`
    are clipped. Maps wider than :data:`MAX_WIDTH` are box-filtered down.
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4) or arr.shape[0] < 2 or arr.shape[1] < 4:
        raise InvalidEnvironment("an environment must be an H×W×3 image of at least 4×2 pixels")
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise InvalidEnvironment(f"environment larger than {MAX_PIXELS // 1024**2} M pixels")
    radiance = np.array(arr[..., :3], dtype=np.float32)
    if np.isnan(radiance).any() or (radiance < 0).any():
        raise InvalidEnvironment("environment has NaN or negative radiance")
    np.minimum(radiance, MAX_RADIANCE, out=radiance)
    while radiance.shape[1] > MAX_WIDTH:
        radiance = halve(radiance)
    radiance.setflags(write=False)
    digest = hashlib.sha256(
        np.asarray(radiance.shape, np.int64).tobytes() + radiance.tobytes()
    ).hexdigest()
    return Environment(radiance=radiance, name=name, digest=digest)


def halve(radiance: np.ndarray) -> np.ndarray:
    """2×2 box average (an odd last row or column is dropped)."""
    h, w = radiance.shape[0] // 2 * 2, radiance.shape[1] // 2 * 2
    r = radiance[:h, :w].reshape(h // 2, 2, w // 2, 2, 3)
    return r.mean(axis=(1, 3), dtype=np.float32)


def load_environment(source: str | Path | bytes, name: str | None = None) -> Environment:
    """Read a Radiance ``.hdr`` or OpenEXR file (a path or its bytes) as an environment."""
    if isinstance(source, bytes):
        data, label = source, name or "environment"
    else:
        path = Path(source)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidEnvironment(f"environment file over {MAX_FILE_BYTES // 1024**2} MB")
        data, label = path.read_bytes(), name or path.name
    if len(data) > MAX_FILE_BYTES:
        raise InvalidEnvironment(f"environment file over {MAX_FILE_BYTES // 1024**2} MB")
    kind, width, height = map_size(data[:HEADER_BYTES])
    if width * height > MAX_PIXELS:
        raise InvalidEnvironment(f"environment larger than {MAX_PIXELS // 1024**2} M pixels")
    rgb = _decode_exr(data) if kind == "exr" else _decode_hdr(data)
    return environment_from_array(rgb, label)


def map_size(head: bytes) -> tuple[str, int, int]:
    """Format (``hdr`` or ``exr``), width and height from a file's first bytes, without
    decoding a pixel: the budget checked before a decode, and all an upload check reads."""
    if head.startswith(_EXR_MAGIC):
        try:
            width, height = _exr_size(head)
        except (ValueError, struct.error):
            raise InvalidEnvironment("unreadable OpenEXR file (damaged header)") from None
        return "exr", width, height
    if head.startswith((b"#?RADIANCE", b"#?RGBE")):
        width, height = _hdr_size(head)
        return "hdr", width, height
    raise InvalidEnvironment("environment must be a Radiance .hdr or an OpenEXR image")


def _hdr_size(head: bytes) -> tuple[int, int]:
    body = head.split(b"\n\n", 1)
    if len(body) != 2:
        raise InvalidEnvironment("the .hdr header has no end")
    parts = body[1].split(b"\n", 1)[0].split()
    if len(parts) != 4 or parts[0] != b"-Y" or parts[2] != b"+X":
        raise InvalidEnvironment("only top-down, left-to-right .hdr files are read")
    try:
        return int(parts[3]), int(parts[1])
    except ValueError:
        raise InvalidEnvironment("the .hdr size line is not numeric") from None


def _exr_size(head: bytes) -> tuple[int, int]:
    """The ``dataWindow`` attribute of an OpenEXR header (name, type, size, value...)."""
    pos = 8  # magic + version
    while pos < len(head) and head[pos] != 0:
        name_end = head.index(b"\0", pos)
        type_end = head.index(b"\0", name_end + 1)
        (size,) = struct.unpack_from("<i", head, type_end + 1)
        value = type_end + 5
        if head[pos:name_end] == b"dataWindow" and size == 16:
            x0, y0, x1, y1 = struct.unpack_from("<4i", head, value)
            return x1 - x0 + 1, y1 - y0 + 1
        if size < 0:
            break
        pos = value + size
    raise InvalidEnvironment("unreadable OpenEXR file (its header has no dataWindow)")


def _decode_hdr(data: bytes) -> np.ndarray:
    import imagecodecs

    try:
        return np.asarray(imagecodecs.rgbe_decode(data), dtype=np.float32)
    except Exception as exc:  # imagecodecs raises ValueError or its own RgbeError
        raise InvalidEnvironment(f"unreadable .hdr file ({exc})") from None


def _decode_exr(data: bytes) -> np.ndarray:
    import OpenEXR

    try:
        with OpenEXR.File(io.BytesIO(data)) as exr:
            channels = exr.channels()
            for key in ("RGB", "RGBA"):
                if key in channels:
                    return np.asarray(channels[key].pixels, dtype=np.float32)
            if {"R", "G", "B"} <= channels.keys():
                return np.stack(
                    [np.asarray(channels[c].pixels, dtype=np.float32) for c in "RGB"], axis=-1
                )
            if "Y" in channels:
                y = np.asarray(channels["Y"].pixels, dtype=np.float32)
                return np.repeat(y[..., None], 3, axis=2)
    except InvalidEnvironment:
        raise
    except Exception as exc:  # the bindings raise RuntimeError / plain Exception
        raise InvalidEnvironment(f"unreadable OpenEXR file ({exc})") from None
    raise InvalidEnvironment("OpenEXR environment has no R, G, B (or Y) channels")


@cache
def builtin_environment(name: str) -> Environment:
    """A built-in environment by name (:data:`BUILTIN_ENVIRONMENTS`), made once."""
    if name == "studio":
        return environment_from_array(studio_radiance(), "studio")
    raise InvalidSettings(
        f"environment must be one of {', '.join(BUILTIN_ENVIRONMENTS)} or a loaded map"
    )


def uniform_environment(radiance: float | tuple[float, float, float]) -> Environment:
    """Constant radiance from every direction (a white furnace when it is grey)."""
    rgb = np.broadcast_to(np.asarray(radiance, np.float32), (32, 64, 3))
    return environment_from_array(rgb, "uniform")


def resolve_environment(environment: str | Environment) -> Environment:
    """A :class:`RenderSettings`' ``environment`` value (name or map) as a map."""
    if isinstance(environment, Environment):
        return environment
    return builtin_environment(environment)


def encode_hdr(environment: str | Environment) -> bytes:
    """The environment as Radiance ``.hdr`` bytes (RLE RGBE, top row first)."""
    import imagecodecs

    return bytes(imagecodecs.rgbe_encode(resolve_environment(environment).radiance))


def export_environment_hdr(environment: str | Environment, path: str | Path) -> Path:
    """Write the environment (e.g. ``"studio"``) as a Radiance ``.hdr`` file at ``path``,
    so another renderer can be lit exactly as meshfarm lights its models."""
    out = Path(path)
    out.write_bytes(encode_hdr(environment))
    return out
