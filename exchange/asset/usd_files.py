"""Which files a USD upload may read: its own package, or its own folder, never more.

OpenUSD resolves every asset path (a reference, a payload, a texture) wherever it points,
``../../etc/passwd`` and ``/abs/olute`` included (/work/shared/FACTS.md: its loaders are
lenient). :class:`Upload` is the one place that says yes or no: a ``.usdz`` may read
only its own entries, a ``.usd``/``.usda``/``.usdc`` only files inside its folder
(symbolic links resolved), a USDZ there included, entries and all. Layers are walked
arc by arc (:meth:`Upload.layers`) and each is opened only once its path is known to be
inside; the composed stage's used layers are checked again afterwards. Every package read
is held to the ZIP limits (entries, expanded bytes) and a damaged entry is a refusal.
Paths are normalised first (Windows backslashes become slashes); an absolute path, a
drive letter, a URL, a variable expression or file-format arguments are refused outright.
Refusals name the path as the file wrote it, never where it resolved on this machine.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from PIL import Image

from exchange.asset.model import Texture
from exchange.errors import AssetInvalid, AssetTooLarge
from exchange.images import image_header
from exchange.limits import AssetLimits
from exchange.textures import TextureBudget

PACKAGED = re.compile(r"^(?P<package>.*?)\[(?P<entry>.*)\]$")
DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
MIMES = {"png": "image/png", "jpg": "image/jpeg"}


class Upload:
    """The uploaded file and what it may read (see the module's docstring)."""

    def __init__(self, path: Path, limits: AssetLimits) -> None:
        self.path = path.resolve()
        self.folder = self.path.parent
        self.packaged = zipfile.is_zipfile(self.path)
        self.limits = limits
        self.budget = TextureBudget(limits)
        self._textures: dict[str, Texture | None] = {}
        self._packages: dict[Path, dict[str, zipfile.ZipInfo]] = {}
        if self.packaged:
            self._packages[self.path] = _checked_entries(self.path, limits)

    def layers(self) -> list[Any]:
        """Every layer the upload's composition arcs (sublayers, references, payloads, in
        variants too) name, opened only once its path is known to stay inside the upload;
        the caller keeps them while it opens the stage (which then reuses them)."""
        from pxr import Sdf

        opened: list[Any] = []
        seen: set[str] = set()
        todo = [str(self.path)]
        while todo:
            identifier = todo.pop()
            if identifier in seen:
                continue
            seen.add(identifier)
            if len(seen) > self.limits.max_zip_entries:
                raise AssetTooLarge("the USD file composes more layers than allowed")
            layer = Sdf.Layer.FindOrOpen(identifier)
            if layer is None:
                continue  # missing: a composition error once the stage is opened
            opened.append(layer)
            package = layer.GetFileFormat().IsPackage()
            for dependency in layer.GetCompositionAssetDependencies():
                if dependency:
                    todo.append(self._dependency(identifier, package, dependency))
            for clip in _clip_paths(layer):  # value clips: opened with the stage, not arcs
                self._dependency(identifier, package, clip.replace("#", "0"))
        return opened

    def _dependency(self, identifier: str, package: bool, dependency: str) -> str:
        """Where ``dependency``, named by the layer ``identifier``, points, if that is in
        the upload."""
        refused = AssetInvalid("the USD file refers to a layer outside the upload")
        path = dependency.replace("\\", "/")
        if _foreign(dependency) or "`" in path or ":SDF_FORMAT_ARGS:" in path:
            raise refused
        match = PACKAGED.match(identifier)
        if match is not None or package:
            root, entry = (match["package"], match["entry"]) if match else (identifier, "")
            inner = posixpath.normpath(posixpath.join(posixpath.dirname(entry), path))
            if not self._inside(inner):
                raise refused
            return f"{root}[{inner}]"
        target = (Path(identifier).parent / path).resolve()
        if self.packaged or not target.is_relative_to(self.folder):
            raise refused
        return str(target)

    def owns_layer(self, real_path: str) -> bool:
        """Is the layer at ``real_path`` (as OpenUSD reports it) part of this upload?"""
        if not real_path:
            return True  # an anonymous (in-memory) layer: the session's own
        match = PACKAGED.match(real_path)
        if match is not None:
            return self._owns_package(match["package"]) and self._inside(match["entry"])
        if self.packaged:
            return Path(real_path).resolve() == self.path
        return Path(real_path).resolve().is_relative_to(self.folder)

    def _owns_package(self, package: str) -> bool:
        """A USDZ the upload is (or, for a layer upload, holds in its folder)."""
        path = Path(package).resolve()
        if self.packaged:
            return path == self.path
        return path.is_relative_to(self.folder) and path.is_file()

    def texture(self, authored: str, resolved: str, anchor: str, what: str) -> Texture | None:
        """The image at ``authored`` (resolved by the stage to ``resolved``; ``anchor`` is
        the real path of the layer that wrote it): PNG and JPEG kept as they are, any
        other image Pillow reads stored as PNG; None when it is missing or no image."""
        path = authored.replace("\\", "/")
        if _foreign(authored):
            raise AssetInvalid(f"{what} refers to a file outside the upload: {authored!r}")
        target = resolved or self._anchored(path, anchor)
        if target not in self._textures:
            if len(self._textures) >= self.limits.max_images:
                raise AssetTooLarge(
                    f"the USD file has more than {self.limits.max_images:,} textures"
                )
            data = self._read(target, authored, what)
            self._textures[target] = None if data is None else self._image(data, what)
        return self._textures[target]

    def _anchored(self, path: str, anchor: str) -> str:
        """Where ``path`` points from the layer at ``anchor`` (used when OpenUSD could not
        resolve it, e.g. a backslash path)."""
        match = PACKAGED.match(anchor)
        if match is not None:
            inner = posixpath.dirname(match["entry"])
            return f"{match['package']}[{posixpath.normpath(posixpath.join(inner, path))}]"
        if self.packaged:
            return f"{self.path}[{posixpath.normpath(path)}]"
        base = Path(anchor).parent if anchor else self.folder
        return str(base / path)

    def _read(self, target: str, authored: str, what: str) -> bytes | None:
        refused = AssetInvalid(f"{what} refers to a file outside the upload: {authored!r}")
        match = PACKAGED.match(target)
        if match is not None:
            if not self._owns_package(match["package"]) or not self._inside(match["entry"]):
                raise refused
            package = Path(match["package"]).resolve()
            if package not in self._packages:
                self._packages[package] = _checked_entries(package, self.limits)
            info = self._packages[package].get(posixpath.normpath(match["entry"]))
            if info is None:
                return None
            try:
                with zipfile.ZipFile(package) as archive:
                    return archive.read(info)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
                raise AssetInvalid(f"{what} is a damaged entry of the USDZ package") from None
        if self.packaged:
            raise refused
        file = Path(target).resolve()
        if not file.is_relative_to(self.folder):
            raise refused
        if not file.is_file():
            return None
        if file.stat().st_size > self.limits.max_file_bytes:
            raise AssetTooLarge(f"{what} is larger than the file limit")
        return file.read_bytes()

    def _image(self, data: bytes, what: str) -> Texture | None:
        try:
            header = image_header(io.BytesIO(data), what, any_format=True)
        except AssetInvalid as exc:
            if isinstance(exc, AssetTooLarge):
                raise
            return None
        self.budget.add(header, what)
        if header.image_format in MIMES:
            return Texture(data, MIMES[header.image_format])
        try:
            with Image.open(io.BytesIO(data)) as img:
                out = io.BytesIO()
                img.save(out, format="PNG")
        except Exception:  # Pillow's decoders raise many types on hostile bytes
            return None
        return Texture(out.getvalue(), "image/png")

    @staticmethod
    def _inside(entry: str) -> bool:
        norm = posixpath.normpath(entry.replace("\\", "/"))
        return not (norm.startswith("/") or norm == ".." or norm.startswith("../") or "[" in norm)


def _clip_paths(layer: Any) -> list[str]:
    """The layer paths of every value clip the layer's prims declare (``clips`` sets:
    ``assetPaths`` and ``templateAssetPath``; the legacy ``clipAssetPaths`` too)."""
    from pxr import Sdf

    found: list[str] = []

    def visit(path: Any) -> None:
        if not path.IsPrimPath():
            return
        spec = layer.GetPrimAtPath(path)
        sets = spec.GetInfo("clips") if spec.HasInfo("clips") else {}
        for clip_set in sets.values() if isinstance(sets, dict) else []:
            found.extend(a.path for a in clip_set.get("assetPaths", []))
            if clip_set.get("templateAssetPath"):
                found.append(str(clip_set["templateAssetPath"]))
        if spec.HasInfo("clipAssetPaths"):
            found.extend(a.path for a in spec.GetInfo("clipAssetPaths"))

    layer.Traverse(Sdf.Path.absoluteRootPath, visit)
    return found


def _foreign(authored: str) -> bool:
    """An absolute path, a drive letter, a URL or a NUL: never a file of the upload."""
    path = authored.replace("\\", "/")
    return path.startswith("/") or bool(DRIVE.match(authored)) or "://" in path or "\0" in path


def _checked_entries(path: Path, limits: AssetLimits) -> dict[str, zipfile.ZipInfo]:
    """The package's entries by normalised name, once its size passes the ZIP limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise AssetInvalid("the USDZ package is not a readable ZIP") from None
    if len(infos) > limits.max_zip_entries:
        raise AssetTooLarge(f"the USDZ package holds more than {limits.max_zip_entries:,} files")
    if sum(i.file_size for i in infos) > limits.max_unzipped_bytes:
        raise AssetTooLarge(f"the USDZ package expands past {limits.max_unzipped_bytes:,} bytes")
    return {posixpath.normpath(i.filename): i for i in infos if not i.is_dir()}
