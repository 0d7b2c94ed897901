"""The loaded scene: plain numpy data, no GL objects.

The loader fills these dataclasses; the GPU side (:mod:`renderer.gl_scene`) uploads them
and owns every GL object, so a :class:`Scene` can be built, inspected and tested without a
context, and rendered by many jobs.

Conventions: glTF's (right-handed, +Y up, +Z front, metres). Vertex attributes are
float32 arrays with one row per vertex; indices are uint32 triangle lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from renderer.errors import InvalidSettings

# GL sampler enums as glTF writes them.
NEAREST = 9728
LINEAR = 9729
LINEAR_MIPMAP_LINEAR = 9987
REPEAT = 10497
CLAMP_TO_EDGE = 33071
MIRRORED_REPEAT = 33648


@dataclass(frozen=True)
class Sampler:
    """Filtering and wrapping of one texture reference (glTF ``samplers[i]``)."""

    mag_filter: int = LINEAR
    min_filter: int = LINEAR_MIPMAP_LINEAR
    wrap_s: int = REPEAT
    wrap_t: int = REPEAT


@dataclass
class TextureRef:
    """A material slot's texture: which image, how sampled, which UV set, UV transform.

    ``uv_transform`` is the 3×3 matrix of KHR_texture_transform (identity without it),
    applied as ``uv' = M @ (u, v, 1)``.
    """

    image: int
    sampler: Sampler = field(default_factory=Sampler)
    tex_coord: int = 0
    uv_transform: np.ndarray = field(default_factory=lambda: np.eye(3, dtype=np.float32))


@dataclass
class Clearcoat:
    """KHR_materials_clearcoat: a clear dielectric layer (IOR 1.5) over the material."""

    factor: float = 0.0
    texture: TextureRef | None = None
    roughness: float = 0.0
    roughness_texture: TextureRef | None = None
    normal_texture: TextureRef | None = None
    normal_scale: float = 1.0


@dataclass
class Sheen:
    """KHR_materials_sheen: a velvet-like retro-reflective layer (Charlie distribution)."""

    color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    color_texture: TextureRef | None = None
    roughness: float = 0.0
    roughness_texture: TextureRef | None = None


@dataclass
class Specular:
    """KHR_materials_specular: strength (``factor``, texture alpha) and F0 colour of the
    dielectric reflection."""

    factor: float = 1.0
    texture: TextureRef | None = None
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    color_texture: TextureRef | None = None


@dataclass
class Transmission:
    """KHR_materials_transmission, with KHR_materials_volume's thickness and attenuation
    (``thickness`` 0 = a thin surface; ``attenuation_distance`` inf = clear)."""

    factor: float = 0.0
    texture: TextureRef | None = None
    thickness: float = 0.0
    thickness_texture: TextureRef | None = None
    attenuation_color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    attenuation_distance: float = float("inf")
    volume: bool = False
    dispersion: float = 0.0
    """KHR_materials_dispersion: 20 / Abbe number (0 = none); acts through a volume."""


@dataclass
class Anisotropy:
    """KHR_materials_anisotropy: highlights stretched along a direction in the tangent
    plane (``rotation`` radians from the tangent; the texture's RG turns it further,
    its B scales ``strength``)."""

    strength: float = 0.0
    rotation: float = 0.0
    texture: TextureRef | None = None


@dataclass
class Iridescence:
    """KHR_materials_iridescence: a thin film (``ior``, thickness in nm between the
    bounds, picked per texel by the thickness texture's G) over the material."""

    factor: float = 0.0
    texture: TextureRef | None = None
    ior: float = 1.3
    thickness_min: float = 100.0
    thickness_max: float = 400.0
    thickness_texture: TextureRef | None = None


@dataclass
class SpecularGlossiness:
    """KHR_materials_pbrSpecularGlossiness: diffuse colour, specular F0, glossiness."""

    diffuse_factor: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    specular_factor: tuple[float, float, float] = (1.0, 1.0, 1.0)
    glossiness_factor: float = 1.0
    texture: TextureRef | None = None
    """specularGlossinessTexture: sRGB specular in RGB, linear glossiness in alpha."""


@dataclass
class Material:
    """glTF metallic-roughness material, with the extensions we honour folded in.

    An extension's field is None (or its neutral value) when the file does not use it,
    and then no shader code for it is compiled (see ``gl_scene.material_defines``).
    """

    name: str = ""
    base_color_factor: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    base_color_texture: TextureRef | None = None
    metallic_factor: float = 1.0
    roughness_factor: float = 1.0
    metallic_roughness_texture: TextureRef | None = None
    normal_texture: TextureRef | None = None
    normal_scale: float = 1.0
    occlusion_texture: TextureRef | None = None
    occlusion_strength: float = 1.0
    emissive_factor: tuple[float, float, float] = (0.0, 0.0, 0.0)
    emissive_texture: TextureRef | None = None
    alpha_mode: str = "OPAQUE"
    alpha_cutoff: float = 0.5
    double_sided: bool = False
    unlit: bool = False
    specular_glossiness: SpecularGlossiness | None = None
    ior: float | None = None
    specular: Specular | None = None
    clearcoat: Clearcoat | None = None
    sheen: Sheen | None = None
    transmission: Transmission | None = None
    anisotropy: Anisotropy | None = None
    iridescence: Iridescence | None = None

    def textures(self) -> dict[str, TextureRef]:
        """The slots that have a texture, by shader name."""
        sg, cc, sh = self.specular_glossiness, self.clearcoat, self.sheen
        sp, tr = self.specular, self.transmission
        slots = {
            "base_color": self.base_color_texture,
            "metallic_roughness": self.metallic_roughness_texture,
            "normal": self.normal_texture,
            "occlusion": self.occlusion_texture,
            "emissive": self.emissive_texture,
            "specular_glossiness": sg.texture if sg else None,
            "clearcoat": cc.texture if cc else None,
            "clearcoat_roughness": cc.roughness_texture if cc else None,
            "clearcoat_normal": cc.normal_texture if cc else None,
            "sheen_color": sh.color_texture if sh else None,
            "sheen_roughness": sh.roughness_texture if sh else None,
            "specular": sp.texture if sp else None,
            "specular_color": sp.color_texture if sp else None,
            "transmission": tr.texture if tr else None,
            "thickness": tr.thickness_texture if tr else None,
            "anisotropy": self.anisotropy.texture if self.anisotropy else None,
            "iridescence": self.iridescence.texture if self.iridescence else None,
            "iridescence_thickness": (
                self.iridescence.thickness_texture if self.iridescence else None
            ),
        }
        return {k: v for k, v in slots.items() if v is not None}


@dataclass
class MorphTarget:
    """Per-vertex deltas of one morph target (N×3 float32; normal may be absent)."""

    position: np.ndarray
    normal: np.ndarray | None = None


@dataclass
class Primitive:
    """One drawable triangle list with its attributes (N vertices, M/3 triangles)."""

    positions: np.ndarray
    normals: np.ndarray
    indices: np.ndarray
    material: int | None = None
    tangents: np.ndarray | None = None
    uv0: np.ndarray | None = None
    uv1: np.ndarray | None = None
    color0: np.ndarray | None = None
    joints: np.ndarray | None = None
    weights: np.ndarray | None = None
    targets: list[MorphTarget] = field(default_factory=list)
    variants: dict[int, int] = field(default_factory=dict)
    """KHR_materials_variants: variant index → the material it gives this primitive."""

    @property
    def triangle_count(self) -> int:
        return len(self.indices) // 3


@dataclass
class Mesh:
    name: str
    primitives: list[Primitive]
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))


@dataclass
class Node:
    """A node's rest transform as TRS (a ``matrix`` is decomposed at load time)."""

    name: str = ""
    children: list[int] = field(default_factory=list)
    mesh: int | None = None
    skin: int | None = None
    translation: np.ndarray = field(default_factory=lambda: np.zeros(3))
    rotation: np.ndarray = field(default_factory=lambda: np.array([0.0, 0.0, 0.0, 1.0]))
    scale: np.ndarray = field(default_factory=lambda: np.ones(3))
    matrix: np.ndarray | None = None
    """Set when the file gave a matrix that TRS cannot express exactly (used as is)."""
    weights: np.ndarray | None = None
    light: int | None = None
    """Index into ``Scene.lights`` (KHR_lights_punctual)."""


@dataclass
class Light:
    """A KHR_lights_punctual light, shining down its node's −Z axis.

    ``intensity`` is in the extension's units: lux for ``directional``, candela for
    ``point`` and ``spot``; ``range`` None means unlimited; cone angles in radians.
    """

    kind: str
    color: tuple[float, float, float] = (1.0, 1.0, 1.0)
    intensity: float = 1.0
    range: float | None = None
    inner_cone: float = 0.0
    outer_cone: float = math.pi / 4


@dataclass
class Skin:
    joints: list[int]
    inverse_bind_matrices: np.ndarray  # J×4×4, column vectors (M @ v)


@dataclass
class Channel:
    """One animated property: node, path (translation/rotation/scale/weights), keys."""

    node: int
    path: str
    times: np.ndarray
    values: np.ndarray  # K×C, or 3K×C for CUBICSPLINE (in-tangent, value, out-tangent)
    interpolation: str = "LINEAR"


@dataclass
class Animation:
    name: str
    channels: list[Channel]

    @property
    def duration(self) -> float:
        return max((float(c.times[-1]) for c in self.channels if len(c.times)), default=0.0)


@dataclass
class Image:
    """Decoded RGBA8 pixels of one glTF image (top row first, as stored in files)."""

    pixels: np.ndarray
    name: str = ""


@dataclass
class Scene:
    """A loaded glTF scene, ready to upload; ``warnings`` lists what was ignored."""

    nodes: list[Node]
    roots: list[int]
    meshes: list[Mesh]
    materials: list[Material]
    images: list[Image]
    skins: list[Skin]
    animations: list[Animation]
    warnings: list[str] = field(default_factory=list)
    source_name: str = ""
    lights: list[Light] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    """Names of the KHR_materials_variants material variants, in file order."""
    _variant_scenes: dict[str, Scene] = field(default_factory=dict, repr=False, compare=False)

    @property
    def triangle_count(self) -> int:
        """Triangles drawn per frame (mesh instances counted once per node)."""
        return sum(
            sum(p.triangle_count for p in self.meshes[n.mesh].primitives)
            for n in self.nodes
            if n.mesh is not None
        )

    def with_variant(self, name: str | None) -> Scene:
        """This scene with the materials of KHR_materials_variants variant ``name``
        (``None`` → the file's default materials, i.e. this scene).

        The same variant scene object is returned on every call, so renderers keep
        recognising it (and reusing its GPU copy). An unknown name is InvalidSettings
        listing the variants there are.
        """
        if name is None:
            return self
        if name not in self.variants:
            known = ", ".join(repr(v) for v in self.variants) or "none"
            raise InvalidSettings(
                f"materialVariant {name!r} is not one of the model's variants ({known})"
            )
        if name not in self._variant_scenes:
            index = self.variants.index(name)
            meshes = [
                replace(
                    mesh,
                    primitives=[
                        replace(p, material=p.variants.get(index, p.material))
                        for p in mesh.primitives
                    ],
                )
                for mesh in self.meshes
            ]
            self._variant_scenes[name] = replace(self, meshes=meshes, _variant_scenes={})
        return self._variant_scenes[name]

    def find_animation(self, name: str | None) -> Animation | None:
        """The clip ``name`` picks: ``None`` → no animation, ``"*"`` → the first clip.

        An unknown name falls back to no animation (recorded in ``warnings``), the way a
        viewer shows the model still rather than failing the whole render.
        """
        if name is None or not self.animations:
            return None
        if name == "*":
            return self.animations[0]
        for anim in self.animations:
            if anim.name == name:
                return anim
        warning = f"animation {name!r} not found; rendering the model still"
        if warning not in self.warnings:
            self.warnings.append(warning)
        return None
