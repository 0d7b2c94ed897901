"""Drawing a posed :class:`~renderer.gl_scene.GpuScene` in one of four passes.

- ``color``: lit PBR into the supersampled colour buffer (opaque and masked first,
  then blended back to front without depth writes)
- ``reflection``: the same, mirrored below the ground and faded (its own program, so
  the discard it needs does not cost the direct pass its early depth test)
- ``depth``: depth only, alpha-tested: the shadow map and the colour pass's depth
  pre-pass (which makes llvmpipe shade each visible pixel once)
- ``layers``: world normals and view depth for dataset layers

The caller binds the framebuffer and sets pass-wide uniforms through ``shared``; this
module sets per-draw state: matrices, material, textures, morph weights, culling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import moderngl
import numpy as np

from renderer.animation import Pose
from renderer.gl_context import get_program, set_uniform
from renderer.gl_scene import (
    JOINT_UNIT,
    MORPH_UNIT,
    SHEEN_LUT_UNIT,
    SLOT_UNITS,
    SRGB_SLOTS,
    DrawItem,
    GpuScene,
)
from renderer.scene import Material

FRAGMENT = {
    "color": "pbr.frag",
    "reflection": "pbr.frag",
    "depth": "depth_only.frag",
    "layers": "pbr.frag",
}
EXTRA_DEFINES: dict[str, dict[str, object]] = {
    "reflection": {"REFLECTION": True},
    "layers": {"LAYERS": True},
}


def normal_matrix(model: np.ndarray) -> np.ndarray:
    m3 = model[:3, :3]
    det = np.linalg.det(m3)
    if abs(det) < 1e-30:
        return np.eye(3)
    return np.linalg.inv(m3).T


def draw_meshes(
    gpu: GpuScene,
    pose: Pose,
    kind: str,
    view: np.ndarray,
    shared: Callable[[moderngl.Program], None],
    extra: np.ndarray | None = None,
    *,
    opaque_only: bool = False,
    defines: Mapping[str, object] | None = None,
) -> None:
    """Draw every primitive instance of ``gpu`` in pass ``kind`` with ``pose``.

    ``extra`` pre-multiplies model matrices (the mirror for the reflection pass); winding
    is flipped wherever the final matrix mirrors, so culling stays correct.
    ``opaque_only`` skips blended materials (for the depth pre-pass). ``defines`` are the
    job's switches added to every program (the tone mapping).
    """
    ctx = gpu.ctx
    extra = np.eye(4) if extra is None else extra
    lit = kind in ("color", "reflection")
    opaque = [i for i in gpu.items if i.gpu.material.alpha_mode != "BLEND"]
    blended = [] if opaque_only else [i for i in gpu.items if i.gpu.material.alpha_mode == "BLEND"]
    if lit and blended:
        blended.sort(key=lambda it: _view_depth(it, pose, extra, view), reverse=True)
    prepared: set[int] = set()
    if lit and gpu.light_nodes:
        lights = light_uniforms(gpu, pose, extra)
        pass_wide = shared

        def shared(program: moderngl.Program) -> None:
            pass_wide(program)
            for name, value in lights.items():
                set_uniform(program, name, value)

    for group, depth_write in ((opaque, True), (blended, not lit)):
        ctx.fbo.depth_mask = depth_write
        for item in group:
            _draw_item(gpu, item, pose, kind, extra, shared, prepared, defines or {})
    ctx.fbo.depth_mask = True
    ctx.front_face = "ccw"


def light_uniforms(gpu: GpuScene, pose: Pose, extra: np.ndarray) -> dict[str, np.ndarray]:
    """The scene's KHR_lights_punctual lights in world space for this pose (see
    ``scene_light`` in punctual.glsl for the packing)."""
    rows = []
    for node in gpu.light_nodes:
        light = gpu.scene.lights[gpu.scene.nodes[node].light]  # type: ignore[index]
        world = extra @ pose.world[node]
        direction = world[:3, :3] @ np.array([0.0, 0.0, -1.0])
        direction /= max(float(np.linalg.norm(direction)), 1e-12)
        cos_inner, cos_outer = np.cos(light.inner_cone), np.cos(light.outer_cone)
        scale = 1.0 / max(cos_inner - cos_outer, 1e-3)
        kind = {"directional": 0.0, "point": 1.0, "spot": 2.0}[light.kind]
        rows.append(
            (
                world[:3, 3],
                direction,
                np.asarray(light.color) * light.intensity,
                (kind, light.range or 0.0, scale, -cos_outer * scale),
            )
        )
    columns = [np.array([r[k] for r in rows], dtype=np.float64) for k in range(4)]
    names = ("u_lights_position", "u_lights_direction", "u_lights_radiance", "u_lights_params")
    return dict(zip(names, columns, strict=True))


def _view_depth(item: DrawItem, pose: Pose, extra: np.ndarray, view: np.ndarray) -> float:
    world = extra @ pose.world[item.node] @ np.append(item.centroid, 1.0)
    return float(-(view @ world)[2])


def _draw_item(
    gpu: GpuScene,
    item: DrawItem,
    pose: Pose,
    kind: str,
    extra: np.ndarray,
    shared: Callable[[moderngl.Program], None],
    prepared: set[int],
    job_defines: Mapping[str, object],
) -> None:
    ctx = gpu.ctx
    gp = item.gpu
    defines = {**gp.defines, **EXTRA_DEFINES.get(kind, {}), **job_defines}
    program = get_program("primitive.vert", FRAGMENT[kind], defines)
    if program.glo not in prepared:
        shared(program)
        prepared.add(program.glo)
    model = extra if item.skin is not None else extra @ pose.world[item.node]
    set_uniform(program, "u_model", model)
    set_uniform(program, "u_normal_matrix", normal_matrix(model))
    _bind_material(gpu, program, item)
    if item.skin is not None:
        gpu.joint_textures[item.skin].use(JOINT_UNIT)
        set_uniform(program, "u_joint_tex", JOINT_UNIT)
    if gp.morph_texture is not None:
        gp.morph_texture.use(MORPH_UNIT)
        set_uniform(program, "u_morph_tex", MORPH_UNIT)
        set_uniform(program, "u_morph_vertex_count", len(gp.primitive.positions))
        n = len(gp.primitive.targets)
        weights = pose.morph_weights.get(item.node, np.zeros(n))
        set_uniform(program, "u_morph_weights", np.asarray(weights, dtype=np.float32))
    mirrored = np.linalg.det(model[:3, :3]) < 0
    if item.skin is not None:
        joints = pose.joint_matrices[item.skin]
        mirrored ^= bool(np.linalg.det(joints[0][:3, :3]) < 0) if len(joints) else False
    ctx.front_face = "cw" if mirrored else "ccw"
    if gp.material.double_sided:
        ctx.disable(moderngl.CULL_FACE)
    else:
        ctx.enable(moderngl.CULL_FACE)
    gp.vertex_array(ctx, program).render(moderngl.TRIANGLES)


def _bind_material(gpu: GpuScene, program: moderngl.Program, item: DrawItem) -> None:
    m = item.gpu.material
    set_uniform(program, "u_base_color_factor", tuple(m.base_color_factor))
    set_uniform(program, "u_metallic_factor", m.metallic_factor)
    set_uniform(program, "u_roughness_factor", m.roughness_factor)
    set_uniform(program, "u_normal_scale", m.normal_scale)
    set_uniform(program, "u_occlusion_strength", m.occlusion_strength)
    set_uniform(program, "u_emissive_factor", tuple(m.emissive_factor))
    set_uniform(program, "u_alpha_cutoff", m.alpha_cutoff if m.alpha_mode == "MASK" else 0.5)
    _bind_extensions(program, m)
    if "MATERIAL_SHEEN" in item.gpu.defines:
        gpu.sheen_lut().use(SHEEN_LUT_UNIT)
        set_uniform(program, "u_sheen_lut", SHEEN_LUT_UNIT)
    for slot, ref in m.textures().items():
        if f"HAS_{slot.upper()}_MAP" not in item.gpu.defines:
            continue
        unit = SLOT_UNITS[slot]
        if slot == "metallic_roughness" and "OCCLUSION_IN_METALLIC_ROUGHNESS" in item.gpu.defines:
            gpu.occlusion_metallic_roughness(m).use(unit)
        else:
            gpu.texture(ref, srgb=slot in SRGB_SLOTS).use(unit)
        set_uniform(program, f"u_{slot}_tex", unit)
        set_uniform(program, f"u_{slot}_uvt", ref.uv_transform.astype(np.float64))


def _bind_extensions(program: moderngl.Program, m: Material) -> None:
    """Factors of the material extensions (uniforms a program without them lacks)."""
    if m.specular_glossiness is not None:
        sg = m.specular_glossiness
        set_uniform(program, "u_specular_factor", sg.specular_factor)
        set_uniform(program, "u_glossiness_factor", sg.glossiness_factor)
    if m.ior is not None:
        set_uniform(program, "u_ior", m.ior)
    if m.specular is not None:
        set_uniform(program, "u_specular_strength", m.specular.factor)
        set_uniform(program, "u_specular_color_factor", m.specular.color)
    if m.clearcoat is not None:
        cc = m.clearcoat
        set_uniform(program, "u_clearcoat_factor", cc.factor)
        set_uniform(program, "u_clearcoat_roughness_factor", cc.roughness)
        set_uniform(program, "u_clearcoat_normal_scale", cc.normal_scale)
    if m.sheen is not None:
        set_uniform(program, "u_sheen_color_factor", m.sheen.color)
        set_uniform(program, "u_sheen_roughness_factor", m.sheen.roughness)
    if m.transmission is not None:
        tr = m.transmission
        set_uniform(program, "u_transmission_factor", tr.factor)
        set_uniform(program, "u_thickness_factor", tr.thickness)
        set_uniform(program, "u_attenuation_color", tr.attenuation_color)
        distance = tr.attenuation_distance
        set_uniform(program, "u_attenuation_distance", distance if np.isfinite(distance) else 0.0)
        set_uniform(program, "u_dispersion", tr.dispersion)
    if m.iridescence is not None:
        ir = m.iridescence
        set_uniform(program, "u_iridescence_factor", ir.factor)
        set_uniform(program, "u_iridescence_ior", ir.ior)
        set_uniform(program, "u_iridescence_thickness_min", ir.thickness_min)
        set_uniform(program, "u_iridescence_thickness_max", ir.thickness_max)
    if m.anisotropy is not None:
        set_uniform(program, "u_anisotropy_strength", m.anisotropy.strength)
        rotation = m.anisotropy.rotation
        set_uniform(program, "u_anisotropy_rotation", (np.cos(rotation), np.sin(rotation)))
