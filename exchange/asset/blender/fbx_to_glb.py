"""FBX → GLB inside Blender (``python fbx_to_glb.py -- <in.fbx> <out.glb>``), for
:func:`exchange.asset.fbx_in.read_fbx_asset`.

Run by the Python that has bpy, in a scratch folder that holds a copy of the upload alone.
An empty factory scene, Blender's FBX importer (it applies the file's axes and unit scale,
so the scene is Blender's Z-up metres), then its glTF exporter (Y-up metres, images
embedded in their own format, modifiers applied so a skinned mesh is written as posed;
no animations, skins, cameras or lights, which the converter does not carry).

Textures: the importer would open any path an FBX names, absolute ones included; its image
loader is replaced by one that looks only inside the upload's folder (the path, else the
file name anywhere under that folder), and a texture not found there is dropped rather
than exported as the importer's 128×128 placeholder. Sockets are refused: nothing here
needs the network.

Exit status: 0 written; 3 the importer refused or failed on the file; 4 the exporter
failed. The reason goes to stderr (the caller does not show it: it names paths).
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from typing import Any

import bpy
import bpy_extras.image_utils

IMPORT_FAILED, EXPORT_FAILED = 3, 4


class _NoNetwork(socket.socket):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OSError("no network in the FBX conversion")


def _inside(root: str, path: str) -> str | None:
    real = os.path.realpath(path)
    if os.path.commonpath([real, root]) == root and os.path.isfile(real):
        return real
    return None


def _find(root: str, imagepath: str) -> str | None:
    """``imagepath`` if it lies inside ``root``, else a file of its name under ``root``."""
    path = imagepath.replace("\\", "/")
    found = _inside(root, os.path.join(root, path.lstrip("/"))) or _inside(root, path)
    if found:
        return found
    name = os.path.basename(path).lower()
    for folder, _dirs, files in os.walk(root):
        for f in files:
            if f.lower() == name:
                return os.path.join(folder, f)
    return None


def _confined_loader(root: str) -> Callable[..., Any]:
    load_image = bpy_extras.image_utils.load_image

    def load(imagepath: str, dirname: str = "", place_holder: bool = False, **kw: object) -> Any:
        found = _find(root, imagepath)
        if found is not None:
            return load_image(found, dirname=root, place_holder=place_holder, check_existing=True)
        name = os.path.basename(imagepath.replace("\\", "/")) or "missing"
        image = bpy.data.images.new(name, 1, 1)  # embedded content may still fill it
        image.filepath = os.path.join(root, ".missing", name)
        image.source = "FILE"
        return image

    return load


def _cycles_light_shim() -> None:
    """Blender 5.0's FBX importer sets ``light.cycles.cast_shadow``, which 5.0 removed
    (every FBX with a light fails with an AttributeError): give it a property to set."""
    light = bpy.data.lights.new("probe", "POINT")
    settings = getattr(light, "cycles", None)
    if settings is not None and "cast_shadow" not in settings.bl_rna.properties:
        type(settings).cast_shadow = bpy.props.BoolProperty()
    bpy.data.lights.remove(light)


def _drop_missing_images(root: str) -> None:
    for image in list(bpy.data.images):
        packed = image.packed_file is not None
        on_disk = image.source == "FILE" and _inside(root, bpy.path.abspath(image.filepath))
        if not packed and not on_disk:
            bpy.data.images.remove(image)


def _opaque_where_invisible() -> None:
    """A material whose alpha is 0 with nothing feeding it becomes opaque: exporters that
    write FBX transparency backwards (opacity 0 for "not transparent") would otherwise give
    a model that draws nothing, which no such file means."""
    for material in bpy.data.materials:
        tree = material.node_tree
        for node in tree.nodes if tree is not None else ():
            alpha = node.inputs.get("Alpha") if node.type == "BSDF_PRINCIPLED" else None
            if alpha is not None and not alpha.is_linked and alpha.default_value <= 0.0:
                alpha.default_value = 1.0


def main(src: str, dest: str) -> int:
    socket.socket = _NoNetwork  # type: ignore[misc]
    root = os.path.realpath(os.path.dirname(src))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    _cycles_light_shim()
    bpy_extras.image_utils.load_image = _confined_loader(root)
    try:
        if bpy.ops.import_scene.fbx(filepath=src, use_image_search=False) != {"FINISHED"}:
            return IMPORT_FAILED
    except Exception as exc:  # the importer raises anything on a broken file
        print(f"import failed: {exc}", file=sys.stderr)
        return IMPORT_FAILED
    _drop_missing_images(root)
    _opaque_where_invisible()
    try:
        done = bpy.ops.export_scene.gltf(
            filepath=dest,
            export_format="GLB",
            export_image_format="AUTO",
            export_apply=True,
            export_animations=False,
            export_skins=False,
            export_morph=False,
            export_cameras=False,
            export_lights=False,
            export_extras=False,
        )
    except Exception as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return EXPORT_FAILED
    return 0 if done == {"FINISHED"} and os.path.isfile(dest) else EXPORT_FAILED


if __name__ == "__main__":
    args = sys.argv[sys.argv.index("--") + 1 :]
    sys.exit(main(args[0], args[1]))
