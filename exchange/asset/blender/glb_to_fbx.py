"""GLB → binary FBX inside Blender (``python glb_to_fbx.py -- <in.glb> <out.fbx>``), for
:func:`exchange.asset.fbx_out.write_fbx`.

Run by the Python that has bpy, in a scratch folder that holds only the GLB meshfarm wrote.
An empty factory scene, Blender's glTF importer, then its FBX exporter with the settings
that keep what the defaults lose: ``path_mode="COPY"`` with ``embed_textures=True`` (the
default ``AUTO`` writes only paths to the importer's unpacked images, which do not exist
next to the FBX, so every texture is silently gone), Y up and −Z forward (Unity, Unreal,
Maya), the unit scale applied with ``FBX_SCALE_UNITS`` (the file says 1 unit = 1 m, as
ufbx reads it back), modifiers applied, meshes only (no cameras, lights, armatures or
animation, which the converter does not carry). Sockets are refused: nothing here needs the network.

Exit status: 0 written; 3 the importer failed on the GLB; 4 the exporter failed. The
reason goes to stderr (the caller does not show it: it names paths).
"""

from __future__ import annotations

import os
import socket
import sys

import bpy

IMPORT_FAILED, EXPORT_FAILED = 3, 4


class _NoNetwork(socket.socket):
    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OSError("no network in the FBX conversion")


def _pack_images() -> None:
    """Every image held in the .blend's memory, so the exporter embeds its bytes even
    where the importer left it as a generated or unsaved buffer."""
    for image in bpy.data.images:
        if image.packed_file is None and image.has_data:
            image.pack()


def main(src: str, dest: str) -> int:
    socket.socket = _NoNetwork  # type: ignore[misc]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        if bpy.ops.import_scene.gltf(filepath=src) != {"FINISHED"}:
            return IMPORT_FAILED
    except Exception as exc:  # the importer raises anything on a file it cannot read
        print(f"import failed: {exc}", file=sys.stderr)
        return IMPORT_FAILED
    _pack_images()
    try:
        done = bpy.ops.export_scene.fbx(
            filepath=dest,
            object_types={"MESH", "EMPTY"},
            use_mesh_modifiers=True,
            apply_unit_scale=True,
            apply_scale_options="FBX_SCALE_UNITS",
            global_scale=1.0,
            axis_forward="-Z",
            axis_up="Y",
            path_mode="COPY",
            embed_textures=True,
            bake_anim=False,
            add_leaf_bones=False,
            use_custom_props=False,
        )
    except Exception as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return EXPORT_FAILED
    return 0 if done == {"FINISHED"} and os.path.isfile(dest) else EXPORT_FAILED


if __name__ == "__main__":
    args = sys.argv[sys.argv.index("--") + 1 :]
    sys.exit(main(args[0], args[1]))
