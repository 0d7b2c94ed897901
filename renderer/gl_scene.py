"""A :class:`~renderer.scene.Scene` uploaded to the GPU, owned by one job.

Holds every GL object made for the scene (vertex and index buffers, material textures
with mipmaps, morph-target and joint-matrix textures, vertex arrays per program) and
releases them all in :meth:`GpuScene.release`, so a worker rendering model after model
does not grow. Per frame only joint matrices are written (``update_pose``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import moderngl
import numpy as np

from renderer.animation import Pose
from renderer.framing import reachable_nodes
from renderer.scene import CLAMP_TO_EDGE, MIRRORED_REPEAT, Material, Primitive, Scene, TextureRef
from renderer.sheen_lut import sheen_albedo_table

MORPH_TEX_WIDTH = 4096
NEAREST_MIPMAP_NEAREST, LINEAR_MIPMAP_NEAREST = 9984, 9985
NEAREST_MIPMAP_LINEAR, LINEAR_MIPMAP_LINEAR = 9986, 9987
MIN_FILTER = {
    LINEAR_MIPMAP_LINEAR: LINEAR_MIPMAP_NEAREST,
    NEAREST_MIPMAP_LINEAR: NEAREST_MIPMAP_NEAREST,
}
"""Trilinear minification is sampled from the nearest mip level: on llvmpipe it halves
the texel fetches of the material textures (≈15 ms of a 1080p DamagedHelmet frame), and
at 2× SSAA the mip-level seams it could show are averaged away."""
SRGB8_ALPHA8 = 0x8C43
DEFAULT_MATERIAL = Material()
SLOT_UNITS = {
    "base_color": 0,
    "metallic_roughness": 1,
    "specular_glossiness": 1,  # never beside metallic_roughness
    "normal": 2,
    "occlusion": 3,
    "emissive": 4,
    "clearcoat": 10,
    "clearcoat_roughness": 11,
    "clearcoat_normal": 12,
    "sheen_color": 13,
    "sheen_roughness": 14,
    "specular": 15,
    "specular_color": 16,
    "transmission": 17,
    "thickness": 18,
    "anisotropy": 20,
    "iridescence": 21,
    "iridescence_thickness": 22,
}
SRGB_SLOTS = ("base_color", "emissive", "specular_glossiness", "sheen_color", "specular_color")
JOINT_UNIT, MORPH_UNIT, SHEEN_LUT_UNIT = 8, 9, 19
MAX_LIGHTS = 8
"""KHR_lights_punctual lights drawn per scene (each costs every lit fragment a BRDF)."""
EXTENSION_SLOTS = {
    "SPECULAR_GLOSSINESS": ("specular_glossiness",),
    "MATERIAL_CLEARCOAT": ("clearcoat", "clearcoat_roughness", "clearcoat_normal"),
    "MATERIAL_SHEEN": ("sheen_color", "sheen_roughness"),
    "MATERIAL_SPECULAR": ("specular", "specular_color"),
    "MATERIAL_TRANSMISSION": ("transmission",),
    "MATERIAL_VOLUME": ("thickness",),
    "MATERIAL_ANISOTROPY": ("anisotropy",),
    "MATERIAL_IRIDESCENCE": ("iridescence", "iridescence_thickness"),
}
"""Texture slots that exist only while their extension's code is compiled in."""


@dataclass
class GpuPrimitive:
    """One primitive's buffers, and its vertex arrays keyed by program."""

    primitive: Primitive
    material: Material
    defines: dict[str, object]
    buffers: dict[str, moderngl.Buffer]
    index_buffer: moderngl.Buffer
    morph_texture: moderngl.Texture | None = None
    vaos: dict[int, moderngl.VertexArray] = field(default_factory=dict)

    def vertex_array(
        self, ctx: moderngl.Context, program: moderngl.Program
    ) -> moderngl.VertexArray:
        vao = self.vaos.get(program.glo)
        if vao is None:
            content = [
                (buf, f"{_WIDTHS[name]}f", name)
                for name, buf in self.buffers.items()
                if name in program
            ]
            vao = ctx.vertex_array(program, content, self.index_buffer, index_element_size=4)
            self.vaos[program.glo] = vao
        return vao


_WIDTHS = {
    "a_position": 3,
    "a_normal": 3,
    "a_tangent": 4,
    "a_uv0": 2,
    "a_uv1": 2,
    "a_color0": 4,
    "a_joints": 4,
    "a_weights": 4,
}


@dataclass
class DrawItem:
    """One primitive instance: which node draws it and with what."""

    node: int
    gpu: GpuPrimitive
    skin: int | None
    centroid: np.ndarray  # object-space centre, for sorting blended draws


class GpuScene:
    """GPU copy of a scene. Create with a context; call :meth:`release` when done."""

    def __init__(self, ctx: moderngl.Context, scene: Scene) -> None:
        self.ctx = ctx
        self.scene = scene
        self._textures: dict[tuple[object, ...], moderngl.Texture] = {}
        self._prims: dict[tuple[int, int, bool], GpuPrimitive] = {}
        self._sheen_lut: moderngl.Texture | None = None
        self.joint_textures = [
            ctx.texture((4 * len(skin.joints), 1), 4, dtype="f4") for skin in scene.skins
        ]
        for tex in self.joint_textures:
            tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.items: list[DrawItem] = []
        reachable = reachable_nodes(scene)
        self.light_nodes = [i for i in reachable if scene.nodes[i].light is not None]
        if len(self.light_nodes) > MAX_LIGHTS:
            scene.warnings.append(
                f"the model has {len(self.light_nodes)} lights; the first {MAX_LIGHTS} are drawn"
            )
            self.light_nodes = self.light_nodes[:MAX_LIGHTS]
        for index in reachable:
            node = scene.nodes[index]
            if node.mesh is None:
                continue
            for p_index, prim in enumerate(scene.meshes[node.mesh].primitives):
                skinned = node.skin is not None and prim.joints is not None
                key = (node.mesh, p_index, skinned)
                if key not in self._prims:
                    self._prims[key] = self._upload(prim, skinned)
                centroid = (prim.positions.min(axis=0) + prim.positions.max(axis=0)) / 2.0
                self.items.append(
                    DrawItem(index, self._prims[key], node.skin if skinned else None, centroid)
                )

    def texture(self, ref: TextureRef, srgb: bool) -> moderngl.Texture:
        pixels = self.scene.images[ref.image].pixels
        # Keyed by the pixel array, not the image index: image entries with identical bytes
        # share one decoded array (renderer.images), and so one GPU texture.
        key: tuple[object, ...] = (id(pixels), srgb, ref.sampler)
        tex = self._textures.get(key)
        if tex is None:
            tex = self._textures[key] = self._make_texture(pixels, srgb, ref)
        return tex

    def occlusion_metallic_roughness(self, material: Material) -> moderngl.Texture:
        """The metallic-roughness texture with the occlusion map in its red channel
        (glTF's ORM layout; for a material that :func:`packs_occlusion`)."""
        mr, occ = material.metallic_roughness_texture, material.occlusion_texture
        assert mr is not None and occ is not None
        mr_pixels = self.scene.images[mr.image].pixels
        occ_pixels = self.scene.images[occ.image].pixels
        if mr_pixels is occ_pixels:
            return self.texture(mr, srgb=False)
        key: tuple[object, ...] = (id(mr_pixels), id(occ_pixels), mr.sampler)
        tex = self._textures.get(key)
        if tex is None:
            packed = np.array(mr_pixels, copy=True)
            packed[..., 0] = occ_pixels[..., 0]
            tex = self._textures[key] = self._make_texture(packed, False, mr)
        return tex

    def _make_texture(self, pixels: np.ndarray, srgb: bool, ref: TextureRef) -> moderngl.Texture:
        h, w = pixels.shape[:2]
        tex = self.ctx.texture(
            (w, h),
            4,
            np.ascontiguousarray(pixels),
            internal_format=SRGB8_ALPHA8 if srgb else None,
        )
        s = ref.sampler
        if s.min_filter not in (moderngl.NEAREST, moderngl.LINEAR):
            tex.build_mipmaps()
        tex.filter = (MIN_FILTER.get(s.min_filter, s.min_filter), s.mag_filter)
        tex.repeat_x = s.wrap_s != CLAMP_TO_EDGE
        tex.repeat_y = s.wrap_t != CLAMP_TO_EDGE
        return tex

    def sheen_lut(self) -> moderngl.Texture:
        """The sheen albedo table, uploaded for the first sheen material drawn."""
        if self._sheen_lut is None:
            table = sheen_albedo_table()
            self._sheen_lut = self.ctx.texture(table.shape[::-1], 1, table.tobytes(), dtype="f4")
            self._sheen_lut.repeat_x = self._sheen_lut.repeat_y = False
        return self._sheen_lut

    def update_pose(self, pose: Pose) -> None:
        """Write this frame's joint matrices (column-major texels, 4 per joint)."""
        for tex, mats in zip(self.joint_textures, pose.joint_matrices, strict=True):
            tex.write(np.ascontiguousarray(mats.transpose(0, 2, 1), dtype=np.float32).tobytes())

    def release(self) -> None:
        for gp in self._prims.values():
            for vao in gp.vaos.values():
                vao.release()
            for buf in gp.buffers.values():
                buf.release()
            gp.index_buffer.release()
            if gp.morph_texture is not None:
                gp.morph_texture.release()
        for tex in [*self._textures.values(), *self.joint_textures]:
            tex.release()
        if self._sheen_lut is not None:
            self._sheen_lut.release()
            self._sheen_lut = None
        self._prims.clear()
        self._textures.clear()
        self.items.clear()

    def _upload(self, prim: Primitive, skinned: bool) -> GpuPrimitive:
        material = (
            self.scene.materials[prim.material] if prim.material is not None else DEFAULT_MATERIAL
        )
        defines = material_defines(prim, material, skinned)
        both = "HAS_OCCLUSION_MAP" in defines and "HAS_METALLIC_ROUGHNESS_MAP" in defines
        if both and packs_occlusion(material, self.scene):
            for key in ("HAS_OCCLUSION_MAP", "OCCLUSION_UV", "OCCLUSION_MIRROR"):
                defines.pop(key, None)
            defines["OCCLUSION_IN_METALLIC_ROUGHNESS"] = True
        if self.light_nodes:
            defines["LIGHT_COUNT"] = len(self.light_nodes)
        arrays: dict[str, np.ndarray | None] = {
            "a_position": prim.positions,
            "a_normal": prim.normals,
            "a_tangent": prim.tangents if "HAS_TANGENT" in defines else None,
            "a_uv0": prim.uv0,
            "a_uv1": prim.uv1,
            "a_color0": prim.color0,
            "a_joints": prim.joints if skinned else None,
            "a_weights": prim.weights if skinned else None,
        }
        buffers = {
            name: self.ctx.buffer(np.ascontiguousarray(arr, dtype=np.float32).tobytes())
            for name, arr in arrays.items()
            if arr is not None
        }
        gp = GpuPrimitive(
            primitive=prim,
            material=material,
            defines=defines,
            buffers=buffers,
            index_buffer=self.ctx.buffer(np.ascontiguousarray(prim.indices, np.uint32).tobytes()),
        )
        if prim.targets:
            gp.morph_texture = self._morph_texture(prim)
        return gp

    def _morph_texture(self, prim: Primitive) -> moderngl.Texture:
        n = len(prim.positions)
        rows = []
        for t in prim.targets:
            rows.append(t.position)
            rows.append(t.normal if t.normal is not None else np.zeros((n, 3), np.float32))
        data = np.concatenate(rows).astype(np.float32)
        height = -(-len(data) // MORPH_TEX_WIDTH)
        padded = np.zeros((height * MORPH_TEX_WIDTH, 3), np.float32)
        padded[: len(data)] = data
        tex = self.ctx.texture((MORPH_TEX_WIDTH, height), 3, padded.tobytes(), dtype="f4")
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return tex


def packs_occlusion(material: Material, scene: Scene) -> bool:
    """Whether occlusion (red) and metallic-roughness (green, blue) can be read with one
    texture fetch: same UV set, transform, sampler and image size. One of five fetches
    of a typical PBR material (≈3 ms of a DamagedHelmet share frame, bench/render_profile.py)."""
    mr, occ = material.metallic_roughness_texture, material.occlusion_texture
    if mr is None or occ is None:
        return False
    return (
        mr.tex_coord == occ.tex_coord
        and mr.sampler == occ.sampler
        and np.array_equal(mr.uv_transform, occ.uv_transform)
        and scene.images[mr.image].pixels.shape == scene.images[occ.image].pixels.shape
    )


def material_defines(prim: Primitive, material: Material, skinned: bool) -> dict[str, object]:
    """Shader feature switches for one primitive with its material."""
    d: dict[str, object] = {}
    uv_sets = {0: prim.uv0 is not None, 1: prim.uv1 is not None}
    if uv_sets[0]:
        d["HAS_UV0"] = True
    if uv_sets[1]:
        d["HAS_UV1"] = True
    if prim.color0 is not None:
        d["HAS_COLOR0"] = True
    if skinned:
        d["HAS_SKIN"] = True
    if prim.targets:
        d["MORPH_TARGETS"] = len(prim.targets)
    d.update(extension_defines(material))
    if "MATERIAL_ANISOTROPY" in d and not (uv_sets[0] or prim.tangents is not None):
        del d["MATERIAL_ANISOTROPY"]  # no tangent plane to orient the highlights in
    optional = {slot for slots in EXTENSION_SLOTS.values() for slot in slots}
    active = {slot for key, slots in EXTENSION_SLOTS.items() if key in d for slot in slots}
    for slot, ref in material.textures().items():
        if (slot in active or slot not in optional) and uv_sets.get(ref.tex_coord):
            d[f"HAS_{slot.upper()}_MAP"] = True
            d[f"{slot.upper()}_UV"] = ref.tex_coord
            s, t = (wrap == MIRRORED_REPEAT for wrap in (ref.sampler.wrap_s, ref.sampler.wrap_t))
            if s or t:  # a constant, not a uniform: the shader compiles the other branch away
                d[f"{slot.upper()}_MIRROR"] = f"bvec2({str(s).lower()}, {str(t).lower()})"
    framed = ("HAS_NORMAL_MAP", "HAS_CLEARCOAT_NORMAL_MAP", "MATERIAL_ANISOTROPY")
    if any(k in d for k in framed) and prim.tangents is not None:
        d["HAS_TANGENT"] = True
    if material.alpha_mode == "MASK":
        d["ALPHA_MASK"] = True
    elif material.alpha_mode == "BLEND":
        d["ALPHA_BLEND"] = True
    if material.unlit:
        d["UNLIT"] = True
    return d


def extension_defines(material: Material) -> dict[str, object]:
    """One define per material extension the material really uses (a neutral value, such
    as a clearcoat factor of 0, compiles nothing)."""
    d: dict[str, object] = {}
    if material.specular_glossiness is not None:
        d["SPECULAR_GLOSSINESS"] = True
    if material.ior is not None and material.ior != 1.5:
        d["MATERIAL_IOR"] = True
    sp = material.specular
    if sp is not None and (
        sp.factor != 1 or sp.color != (1, 1, 1) or sp.texture or sp.color_texture
    ):
        d["MATERIAL_SPECULAR"] = True
    if material.clearcoat is not None and material.clearcoat.factor > 0:
        d["MATERIAL_CLEARCOAT"] = True
    if material.sheen is not None and max(material.sheen.color) > 0:
        d["MATERIAL_SHEEN"] = True
    if material.anisotropy is not None and material.anisotropy.strength > 0:
        d["MATERIAL_ANISOTROPY"] = True
    if material.iridescence is not None and material.iridescence.factor > 0:
        d["MATERIAL_IRIDESCENCE"] = True
    tr = material.transmission
    if tr is not None and tr.factor > 0:
        d["MATERIAL_TRANSMISSION"] = True
        if tr.volume and tr.thickness > 0:
            d["MATERIAL_VOLUME"] = True
            if tr.dispersion > 0:
                d["MATERIAL_DISPERSION"] = True
    return d


_parked: GpuScene | None = None
"""The GPU copy of the last scene a renderer finished with, for the next renderer."""


def acquire_gpu_scene(ctx: moderngl.Context, scene: Scene) -> GpuScene:
    """A GPU copy of ``scene`` for one renderer's exclusive use.

    Jobs of one model often follow each other in a worker (the free preview, then the
    render chosen at upload): the parked copy is handed over instead of uploading and
    mip-mapping every texture again (≈0.3 s for the DamagedHelmet on llvmpipe). Only an
    identical scene object matches, and a copy in use is never parked, so two renderers
    never share one.
    """
    global _parked
    if _parked is not None and _parked.scene is scene and _parked.ctx is ctx:
        gpu, _parked = _parked, None
        return gpu
    return GpuScene(ctx, scene)


def park_gpu_scene(gpu: GpuScene) -> None:
    """Hand a finished renderer's copy back; the one parked before it is released, so at
    most one idle scene stays on the GPU however many models a process renders."""
    global _parked
    previous, _parked = _parked, gpu
    if previous is not None and previous is not gpu:
        previous.release()
