"""The MJCF package: one MuJoCo model of the asset, as the MuJoCo Menagerie lays them out.

``<name>.xml`` beside ``meshes/`` (an OBJ per drawn primitive, with its UVs and normals,
and an OBJ per convex collider) and ``textures/`` (PNG: MuJoCo reads no JPEG). One body
with a free joint and an explicit ``<inertial>`` (MuJoCo would otherwise derive the mass
from the geoms' volumes), visual geoms in group 2 that never collide, collision geoms in
group 3 that are exactly the hulls the SimReady USD gets. The asset is in the SimReady
frame (:mod:`physics.frame`), so the body's origin is where it touches the ground.

Contacts: ``priority="1"`` on the collision geoms makes MuJoCo use their friction and
solver parameters for every contact with an ordinary geom (the floor of a scene) instead
of the element-wise maximum of both. Restitution is MuJoCo's way, a damped spring
(:func:`solref`); the package's ``<option>`` picks the step that resolves it
(:data:`TIMESTEP`) and the no-slip pass that stops resting contacts creeping.
"""

from __future__ import annotations

import io
import math
import re
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from exchange.asset.model import Asset, Material, Primitive, Texture
from physics.headless import mujoco
from physics.model import Collision, Hull, MassProperties, PhysicsMaterial

TIMESTEP = 0.0005
"""s: a quarter of MuJoCo's default 2 ms. A flat plate lying on its face chattered at 2 ms
(1.4 cm/s for ever); at 0.5 ms it comes to rest, and a bouncing spring stays resolved."""
NOSLIP_ITERATIONS = 10
"""MuJoCo's soft contacts let a resting body creep under tangential load (a 10 cm part
rocked at 0.5 rad/s for 12 s); the no-slip post-pass removes that slip."""
TIMECONST = 0.02
"""s: MuJoCo's default contact time constant. An impact at speed v sinks about v·τ/e (15
mm at 2.2 m/s). A shorter one (5 ms: 4 mm) set a 10 cm part rocking at 0.2 rad/s for ever
on its rolling-friction constraints."""
SOLIMP = "0.9 0.95 0.001 0.5 2"
"""MuJoCo's default impedance, written out so the package says what it simulates with."""
TORSIONAL_FRICTION = 0.005
"""In collider sizes: the contact patch's radius (MuJoCo's 0.005 m default for a 1 m
body), so a spinning body stops whatever its scale."""
ROLLING_RESISTANCE = 0.01
"""The rolling resistance coefficient c_rr (a hard ball on a hard floor: 0.001–0.01,
a tyre on concrete 0.01–0.02). MuJoCo's rolling friction is a length, c_rr × radius,
written as c_rr × half the collider size; its default 0.0001 m let a 2 m ball roll on
for minutes."""


class MjcfRejected(ValueError):
    """MuJoCo refused to compile the package; the message is MuJoCo's own."""


@dataclass(frozen=True)
class MjcfPackage:
    xml: Path
    meshes: tuple[Path, ...]
    """Visual OBJs first (``visual_*.obj``), then one OBJ per hull (``collision_*.obj``)."""
    textures: tuple[Path, ...]
    visual_geoms: int
    collision_geoms: int
    compile_seconds: float
    """How long ``mujoco.MjModel.from_xml_path`` took on the written package."""


def write_mjcf_package(
    asset: Asset,
    collision: Collision,
    mass: MassProperties,
    material: PhysicsMaterial,
    out_dir: Path,
    name: str,
) -> MjcfPackage:
    """Write the package for ``asset`` (in the SimReady frame) and compile it once.

    Raises :class:`MjcfRejected` with MuJoCo's message when the compiler refuses it."""
    if not collision.hulls:
        raise MjcfRejected("no collision hulls: the body would fall through everything")
    mesh_dir, texture_dir = out_dir / "meshes", out_dir / "textures"
    mesh_dir.mkdir(parents=True, exist_ok=True)
    texture_dir.mkdir(parents=True, exist_ok=True)
    cls = _class_name(name)

    root = ET.Element("mujoco", model=name)
    root.append(ET.Comment(_material_note(material)))
    ET.SubElement(
        root,
        "compiler",
        angle="radian",
        meshdir="meshes",
        texturedir="textures",
        autolimits="true",
    )
    ET.SubElement(
        root, "option", timestep=_num([TIMESTEP]), noslip_iterations=str(NOSLIP_ITERATIONS)
    )
    points = np.concatenate([h.vertices for h in collision.hulls])
    _defaults(root, cls, material, float(np.max(points.max(0) - points.min(0))))
    assets = ET.SubElement(root, "asset")
    body = ET.SubElement(ET.SubElement(root, "worldbody"), "body", name=cls, childclass=cls)
    ET.SubElement(body, "freejoint", name=f"{cls}_free")
    ET.SubElement(
        body,
        "inertial",
        pos=_num(mass.center_of_mass),
        quat=_num(mass.principal_axes),
        mass=_num([mass.mass]),
        diaginertia=_num(mass.diagonal_inertia),
    )

    textures = _TextureFiles(assets, texture_dir)
    materials: dict[tuple[int | None, bool], str] = {}
    meshes: list[Path] = []
    for matrix, prim in asset.placed():
        if not len(prim.indices):
            continue
        mesh_name = f"visual_{len(meshes):03d}"
        textured = prim.uvs is not None
        path = mesh_dir / f"{mesh_name}.obj"
        path.write_text(_visual_obj(matrix, prim))
        meshes.append(path)
        ET.SubElement(assets, "mesh", name=mesh_name, file=path.name, inertia="shell")
        key = (prim.material, textured)
        if key not in materials:
            source = asset.materials[prim.material] if prim.material is not None else Material()
            materials[key] = _material(assets, source, textures if textured else None, key)
        ET.SubElement(body, "geom", {"class": "visual", "mesh": mesh_name}, material=materials[key])
    visual_geoms = len(meshes)

    for i, hull in enumerate(collision.hulls):
        mesh_name = f"collision_{i:03d}"
        path = mesh_dir / f"{mesh_name}.obj"
        path.write_text(_hull_obj(hull))
        meshes.append(path)
        ET.SubElement(assets, "mesh", name=mesh_name, file=path.name)
        ET.SubElement(body, "geom", {"class": "collision", "mesh": mesh_name}, name=mesh_name)

    xml = out_dir / f"{name}.xml"
    ET.indent(root)
    ET.ElementTree(root).write(xml, encoding="unicode", xml_declaration=False)
    _, seconds = compiled(xml)
    return MjcfPackage(
        xml,
        tuple(meshes),
        textures.paths(),
        visual_geoms,
        len(collision.hulls),
        seconds,
    )


def compiled(xml: Path) -> tuple[mujoco.MjModel, float]:
    """The compiled model and the seconds MuJoCo took; :class:`MjcfRejected` if refused."""
    start = time.perf_counter()
    try:
        model = mujoco.MjModel.from_xml_path(str(xml))
    except ValueError as exc:
        raise MjcfRejected(f"MuJoCo refused {xml.name}: {exc}") from exc
    return model, time.perf_counter() - start


def _class_name(name: str) -> str:
    """The body's and its default class's name: MJCF-safe, never the two fixed classes."""
    safe = re.sub(r"[^A-Za-z0-9_\-]", "_", name) or "asset"
    return f"{safe}_asset" if safe in ("main", "visual", "collision") else safe


def _material_note(material: PhysicsMaterial) -> str:
    return (
        f" physics material: {material.kind} ({material.provider}: {material.reason});"
        f" density {material.density:g} kg/m3, friction static {material.static_friction:g}"
        f" dynamic {material.dynamic_friction:g}, restitution {material.restitution:g}"
        f" (solref {solref(material.restitution)}) "
    ).replace("--", "- -")


def solref(restitution: float) -> str:
    """``solref`` (time constant, damping ratio) for a coefficient of restitution e.

    A damped spring returns e = exp(−ζπ/√(1−ζ²)) of the impact speed, so
    ζ = −ln e / √(π² + ln² e) (MuJoCo issue 2081: the damped-oscillator relation). The
    spring's period 2π·τ·ζ shrinks with ζ; the time constant is stretched so that one
    radian of it spans at least two steps (a bouncier spring under-resolved gains
    energy: at τ 5 ms, e 0.8 bounced back at 1.25). A 1 m box dropped 25 cm returns
    0.37, 0.55 and 0.83 of its speed for e 0.3, 0.5 and 0.8. e 0 is critically damped."""
    e = min(max(restitution, 0.0), 0.99)
    if e < 1e-3:
        return _num([TIMECONST, 1.0])
    log = math.log(e)
    ratio = -log / math.sqrt(math.pi**2 + log**2)
    dmax = float(SOLIMP.split()[1])
    return _num([max(TIMECONST, 2 * TIMESTEP / (ratio * dmax)), ratio])


def _defaults(root: ET.Element, cls: str, material: PhysicsMaterial, size: float) -> None:
    """Menagerie's layout: the asset's class holding ``visual`` and ``collision``.

    MuJoCo's soft contacts resist as kinetic friction does, so the sliding coefficient is
    the dynamic one; condim 6 makes the torsional and rolling coefficients count too, so
    a body stops spinning and rolling (``size`` scales them, :data:`ROLLING_RESISTANCE`)."""
    top = ET.SubElement(ET.SubElement(root, "default"), "default", {"class": cls})
    visual = ET.SubElement(top, "default", {"class": "visual"})
    ET.SubElement(visual, "geom", type="mesh", group="2", contype="0", conaffinity="0", density="0")
    coll = ET.SubElement(top, "default", {"class": "collision"})
    ET.SubElement(
        coll,
        "geom",
        type="mesh",
        group="3",
        condim="6",
        priority="1",
        friction=_num(
            [
                material.dynamic_friction,
                TORSIONAL_FRICTION * size,
                ROLLING_RESISTANCE * size / 2,
            ]
        ),
        solref=solref(material.restitution),
        solimp=SOLIMP,
    )


class _TextureFiles:
    """Each distinct image once, as a PNG and a ``<texture>``."""

    def __init__(self, assets: ET.Element, texture_dir: Path) -> None:
        self.assets = assets
        self.dir = texture_dir
        self.names: dict[bytes, str] = {}
        self.files: list[Path] = []

    def name(self, texture: Texture) -> str:
        if texture.data not in self.names:
            name = f"texture_{len(self.names):03d}"
            path = self.dir / f"{name}.png"
            path.write_bytes(_png(texture))
            self.files.append(path)
            ET.SubElement(self.assets, "texture", name=name, type="2d", file=path.name)
            self.names[texture.data] = name
        return self.names[texture.data]

    def paths(self) -> tuple[Path, ...]:
        return tuple(self.files)


def _png(texture: Texture) -> bytes:
    """The image as an 8-bit RGB(A) PNG; a PNG already so is kept byte for byte."""
    image = Image.open(io.BytesIO(texture.data))
    if image.format == "PNG" and image.mode in ("RGB", "RGBA"):
        return texture.data
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    out = io.BytesIO()
    image.convert("RGBA" if has_alpha else "RGB").save(out, "PNG")
    return out.getvalue()


def _material(
    assets: ET.Element,
    source: Material,
    textures: _TextureFiles | None,
    key: tuple[int | None, bool],
) -> str:
    """A MuJoCo material for the classic renderer: base colour (times its texture, for
    primitives with UVs), a highlight from roughness and metalness."""
    index, textured = key
    name = f"material_{'default' if index is None else f'{index:03d}'}"
    name += "" if textured or source.base_color_texture is None else "_untextured"
    attrs = {
        "name": name,
        "rgba": _num(source.base_color),
        "specular": _num([0.1 + 0.4 * source.metallic]),
        "shininess": _num([max(0.0, 1.0 - source.roughness)]),
    }
    if textures is not None and source.base_color_texture is not None:
        attrs["texture"] = textures.name(source.base_color_texture)
    ET.SubElement(assets, "material", attrs)
    return name


def _visual_obj(matrix: np.ndarray, prim: Primitive) -> str:
    """One primitive in the body frame. OBJ's v runs up from the image's bottom and
    glTF's down from its top, so v becomes 1 − v."""
    linear = matrix[:3, :3]
    points = prim.positions.astype(np.float64) @ linear.T + matrix[:3, 3]
    faces = prim.indices.astype(np.int64).reshape(-1, 3)
    if np.linalg.det(linear) < 0:  # a mirroring node turns the winding inside out
        faces = faces[:, ::-1]
    lines = [_rows("v", points)]
    refs = ["{0}"]
    if prim.uvs is not None:
        uvs = prim.uvs.astype(np.float64).copy()
        uvs[:, 1] = 1.0 - uvs[:, 1]
        lines.append(_rows("vt", uvs))
        refs.append("{0}")
    elif prim.normals is not None:
        refs.append("")
    if prim.normals is not None:
        normals = prim.normals.astype(np.float64) @ np.linalg.inv(linear)
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
        lines.append(_rows("vn", normals))
        refs.append("{0}")
    corner = "/".join(refs)
    lines.extend("f " + " ".join(corner.format(i) for i in tri) for tri in (faces + 1).tolist())
    return "\n".join(lines) + "\n"


def _hull_obj(hull: Hull) -> str:
    faces = hull.faces.astype(np.int64) + 1
    return (
        _rows("v", hull.vertices)
        + "\n"
        + "\n".join(f"f {a} {b} {c}" for a, b, c in faces.tolist())
        + "\n"
    )


def _rows(tag: str, values: np.ndarray) -> str:
    return "\n".join(f"{tag} " + " ".join(f"{v:.9g}" for v in row) for row in values.tolist())


def _num(values: tuple[float, ...] | list[float]) -> str:
    return " ".join(f"{float(v):.9g}" for v in values)
