"""Blender Cycles as a Khronos glTF-Render-Fidelity CLI backend (run with bench/.venv-bpy).

    bench/.venv-bpy/bin/python bench/fidelity/cycles_backend.py '{"scenario": {...},
        "outputFile": "out.png", "cycles": {"samples": 128, "linearOutput": "out.npy"}}'

The last argument is the generator's JSON (test/README.md, "Adding CLI renderer
backends"); ``cycles`` is this script's own optional block. What it does, and where it
departs from the generator's test/renderers/blender-cycles/render.py:

- imports the glTF with Blender's importer, armatures in their rest pose (as theirs);
  glTF lights are removed unless ``keepLights`` (the scenario lights with the HDR only);
- the camera is model-viewer's orbit (theta = azimuth about +Y from +Z, phi = polar
  angle from +Y, radius, target), vertical field of view ``verticalFoV``, at twice the
  scenario's dimensions, as every backend renders;
- the world is the equirectangular HDR and nothing else, in Blender's own orientation
  (the image centre faces glTF −X) unless ``environmentRotation`` (degrees about +Y)
  turns it; transparent film unless ``renderSkybox``;
- Cycles on the CPU, ``samples`` (default 128) with adaptive sampling and, when
  ``denoise`` (default true), OpenImageDenoise — as the generator's script, which
  renders 128 samples denoised on a GPU;
- the linear, premultiplied RGBA comes back as float32 ``.npy`` (``linearOutput``) so the
  caller tone-maps it with exactly the curve the other peers use; the PNG at
  ``outputFile`` is ACES ×1/0.6 + sRGB (``fidelity/tonemap.py``), straight alpha.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import time
from pathlib import Path

import bpy
import numpy as np
from mathutils import Vector

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tonemap import to_png_pixels


def gltf_to_blender(v: tuple[float, float, float]) -> Vector:
    """glTF is +Y up, Blender +Z up: the importer maps (x, y, z) to (x, −z, y)."""
    return Vector((v[0], -v[2], v[1]))


def scene_bounds() -> tuple[Vector, float]:
    """Centre and radius of the evaluated meshes' bounding sphere (Blender space)."""
    depsgraph = bpy.context.evaluated_depsgraph_get()
    points = []
    for obj in bpy.context.scene.objects:
        if obj.type != "MESH":
            continue
        mesh = obj.evaluated_get(depsgraph).to_mesh()
        flat = np.empty(len(mesh.vertices) * 3, np.float64)
        mesh.vertices.foreach_get("co", flat)
        co = flat.reshape(-1, 3)
        m = np.array(obj.matrix_world)
        points.append(co @ m[:3, :3].T + m[:3, 3])
        obj.evaluated_get(depsgraph).to_mesh_clear()
    if not points:
        return Vector((0, 0, 0)), 1.0
    pts = np.concatenate(points)
    center = (pts.min(axis=0) + pts.max(axis=0)) / 2
    return Vector(center), float(np.sqrt(((pts - center) ** 2).sum(axis=1)).max())


def add_camera(scenario: dict, width: int, height: int) -> None:
    target = scenario.get("target") or {}
    orbit = scenario.get("orbit") or {}
    t = (float(target.get("x", 0)), float(target.get("y", 0)), float(target.get("z", 0)))
    theta = math.radians(float(orbit.get("theta", 0)))
    phi = math.radians(float(orbit.get("phi", 90)))
    radius = float(orbit.get("radius", 1))
    direction = (math.sin(phi) * math.sin(theta), math.cos(phi), math.sin(phi) * math.cos(theta))
    eye = (t[0] + radius * direction[0], t[1] + radius * direction[1], t[2] + radius * direction[2])
    data = bpy.data.cameras.new("scenario")
    data.sensor_fit = "VERTICAL"
    data.angle_y = math.radians(float(scenario.get("verticalFoV", 45)))
    camera = bpy.data.objects.new("scenario", data)
    bpy.context.scene.collection.objects.link(camera)
    camera.location = gltf_to_blender(eye)
    forward = gltf_to_blender(t) - camera.location if radius > 0 else -gltf_to_blender(direction)
    camera.rotation_euler = forward.to_track_quat("-Z", "Y").to_euler()
    center, bradius = scene_bounds()
    reach = max(radius, bradius, 1e-5) + (camera.location - center).length
    data.clip_start = max(reach * 1e-4, 1e-6)
    data.clip_end = 4 * reach
    bpy.context.scene.camera = camera
    bpy.context.scene.render.resolution_x = width
    bpy.context.scene.render.resolution_y = height
    bpy.context.scene.render.resolution_percentage = 100


def add_world(hdr: str, rotation_deg: float) -> None:
    world = bpy.data.worlds.new("scenario")
    bpy.context.scene.world = world
    world.use_nodes = True
    nodes, links = world.node_tree.nodes, world.node_tree.links
    nodes.clear()
    coords = nodes.new("ShaderNodeTexCoord")
    mapping = nodes.new("ShaderNodeMapping")
    # about glTF +Y = Blender +Z; the mapping turns the lookup vector, so the picture
    # turns the other way: negate to turn the environment itself by +rotation
    mapping.inputs["Rotation"].default_value = (0.0, 0.0, math.radians(-rotation_deg))
    env = nodes.new("ShaderNodeTexEnvironment")
    env.image = bpy.data.images.load(hdr)
    env.interpolation = "Linear"
    background = nodes.new("ShaderNodeBackground")
    background.inputs["Strength"].default_value = 1.0
    out = nodes.new("ShaderNodeOutputWorld")
    links.new(coords.outputs["Generated"], mapping.inputs["Vector"])
    links.new(mapping.outputs["Vector"], env.inputs["Vector"])
    links.new(env.outputs["Color"], background.inputs["Color"])
    links.new(background.outputs["Background"], out.inputs["Surface"])


def configure_cycles(options: dict, skybox: bool) -> None:
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = int(options.get("samples", 128))
    scene.cycles.use_adaptive_sampling = True
    scene.cycles.adaptive_threshold = float(options.get("adaptiveThreshold", 0.01))
    scene.cycles.use_denoising = bool(options.get("denoise", True))
    if scene.cycles.use_denoising:
        scene.cycles.denoiser = "OPENIMAGEDENOISE"
    scene.cycles.seed = 0
    scene.render.film_transparent = not skybox
    scene.render.threads_mode = "AUTO"
    scene.view_settings.view_transform = "Standard"
    scene.view_settings.look = "None"
    scene.view_settings.exposure = 0.0
    scene.view_settings.gamma = 1.0
    image = scene.render.image_settings
    image.file_format = "OPEN_EXR"
    image.color_mode = "RGBA"
    image.color_depth = "32"
    image.exr_codec = "ZIP"


def read_exr(path: Path) -> np.ndarray:
    """H×W×4 float32, top row first, premultiplied as Blender writes EXR."""
    import OpenEXR

    with OpenEXR.File(str(path)) as f:
        channels = f.channels()
        if "RGBA" in channels:
            return np.ascontiguousarray(channels["RGBA"].pixels, dtype=np.float32)
        planes = [channels[c].pixels for c in ("R", "G", "B", "A")]
        return np.ascontiguousarray(np.stack(planes, axis=-1), dtype=np.float32)


def main() -> None:
    config = json.loads(sys.argv[-1])
    scenario, options = config["scenario"], config.get("cycles") or {}
    out = Path(config["outputFile"])
    dims = scenario.get("dimensions") or {}
    width, height = 2 * int(dims.get("width", 768)), 2 * int(dims.get("height", 768))
    started = time.monotonic()
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.gltf(filepath=str(Path(scenario["model"]).resolve()))
    for obj in list(bpy.context.scene.objects):
        if obj.type == "ARMATURE":
            obj.data.pose_position = "REST"
        elif obj.type == "LIGHT" and not options.get("keepLights", False):
            bpy.data.objects.remove(obj, do_unlink=True)
    add_camera(scenario, width, height)
    add_world(
        str(Path(scenario["lighting"]).resolve()), float(options.get("environmentRotation", 0))
    )
    skybox = bool(scenario.get("renderSkybox", False))
    configure_cycles(options, skybox)
    with tempfile.TemporaryDirectory() as tmp:
        exr = Path(tmp) / "render.exr"
        bpy.context.scene.render.filepath = str(exr)
        bpy.ops.render.render(write_still=True)
        linear = read_exr(exr)
    if skybox:
        linear[..., 3] = 1.0
    if options.get("linearOutput"):
        np.save(options["linearOutput"], linear)
    from PIL import Image

    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(to_png_pixels(linear)).save(out)
    print(json.dumps({"seconds": round(time.monotonic() - started, 2), "size": [width, height]}))


if __name__ == "__main__":
    main()
