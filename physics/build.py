"""One asset made simulation-ready, start to finish: what a SimReady job runs; files in,
files out.

The stages, each reported as it starts (a job's progress): ``preprocess`` (read any
format, repair, put in the SimReady frame; a non-GLB input also leaves the clean
``intermediate.glb`` Rigyd's "preprocessing" names), ``physics`` (the physics material
and, once the colliders exist, the mass), ``collision_decompose`` (decimation to the
caller's triangle count, then CoACD within its time budget), ``usd`` (the SimReady USD
and its thumbnail), ``mjcf`` (the MuJoCo package, compiled), ``validate`` (NVIDIA's
SimReady validator and OpenUSD's UsdPhysics validators, unless skipped); the worker's
upload of the files is the job's last stage, ``export``.
The USD and the MJCF are built from the same hulls, so a simulator sees the same body
whichever file it loads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from exchange.asset import read_asset, write_asset
from exchange.asset.model import Asset, Material
from exchange.errors import AssetInvalid
from exchange.limits import AssetLimits
from health.report import repair
from health.report.repair import smooth_normals
from health.validators.simready import validate_simready, validate_usd_physics
from physics.collision import decompose
from physics.decimate import decimated
from physics.frame import merged, simready_frame
from physics.mass import mass_properties
from physics.materials import MaterialProvider
from physics.mjcf import write_mjcf_package
from physics.model import Collision, MassProperties
from physics.simready_usd import write_simready_usd

PIPELINE_VERSION = "1"
DEFAULT_MATERIAL_FIX = "default_material_bound"
WINDING_NORMALS_FIX = "normals_follow_winding"
AGAINST_WINDING = 0.1
"""The share of a primitive's area whose normals may face against its winding."""
GREY = (0.5, 0.5, 0.5, 1.0)
Stage = Callable[[str], None]


@dataclass(frozen=True)
class BuildOptions:
    name: str
    """What the outputs are called (the upload's stem, made safe)."""
    material_provider: MaterialProvider
    target_triangle_count: int | None = None
    threshold: float | None = None
    budget_s: float = 60.0
    skip_validation: bool = False
    is_glb: bool = True
    """A GLB input needs no intermediate GLB (Rigyd skips its preprocessing for it)."""
    source_name: str | None = None
    """The upload's file name, for the USD's provenance."""


@dataclass
class Built:
    usd_dir: Path
    """The USD and its ``textures/``."""
    mjcf_dir: Path
    """The MJCF ``.xml`` with its ``meshes/`` and ``textures/``."""
    thumbnail: Path
    intermediate_glb: Path | None
    report: dict[str, Any]
    input_stats: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def build_simready(
    source: Path,
    out_dir: Path,
    options: BuildOptions,
    *,
    limits: AssetLimits,
    blender_python: Path | None = None,
    on_stage: Stage = lambda name: None,
) -> Built:
    timings: dict[str, float] = {}
    current: list[tuple[str, float]] = []

    def stage(name: str) -> None:
        now = time.monotonic()
        if current:
            before, started = current.pop()
            timings[before] = now - started
        current.append((name, now))
        on_stage(name)

    package = out_dir / options.name  # SimReady's NP.005: <name>/<folder>/<name>.usd
    package.mkdir(parents=True, exist_ok=True)
    stage("preprocess")
    read, fixes = cleaned(read_asset(source, limits, blender_python=blender_python))
    intermediate = None
    if not options.is_glb:
        intermediate = out_dir / "intermediate.glb"
        write_asset(read, intermediate, "glb")
    asset = simready_frame(read)
    if _give_default_material(asset):
        fixes.append(DEFAULT_MATERIAL_FIX)
    mesh = merged(asset)
    if not len(mesh.faces):
        raise AssetInvalid("the model has no triangles to build a collider from")
    stats = _input_stats(asset, fixes)

    stage("physics")
    material = options.material_provider.identify(asset)

    stage("collision_decompose")
    target = options.target_triangle_count
    collider_source = decimated(mesh, target) if target else mesh
    kwargs: dict[str, Any] = {"budget_s": options.budget_s}
    if options.threshold is not None:
        kwargs["threshold"] = options.threshold
    try:
        collision = decompose(collider_source, **kwargs)
    except ValueError as exc:  # a mesh with no extent in some direction: the file's fault
        raise AssetInvalid(f"no collider can be built: {exc}") from None
    mass = mass_properties(mesh, collision, material.density)

    stage("usd")
    usd = write_simready_usd(
        asset,
        collision,
        mass,
        material,
        package / "usd",
        options.name,
        label=_label(options),
        source_file=options.source_name,
    )

    stage("mjcf")
    mjcf = write_mjcf_package(asset, collision, mass, material, package / "mjcf", options.name)

    validation: dict[str, Any] = {"skipped": options.skip_validation}
    if not options.skip_validation:
        stage("validate")
        verdict = validate_simready(usd.usd)
        validation["simready"] = asdict(verdict)
        validation["usd_physics"] = asdict(validate_usd_physics(usd.usd))
    validation["mjcf"] = {"compiled": True, "compile_seconds": round(mjcf.compile_seconds, 3)}

    ((last, started),) = current
    timings[last] = time.monotonic() - started
    report = {
        "pipeline_version": PIPELINE_VERSION,
        "name": options.name,
        "dimensions_m": stats["dimensions_m"],
        "material": asdict(material),
        "physics": _physics(mass),
        "collision": _collision(collision, len(mesh.faces), len(collider_source.faces)),
        "validation": validation,
        "fixes": fixes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
    return Built(
        usd_dir=package / "usd",
        mjcf_dir=package / "mjcf",
        thumbnail=usd.thumbnail,
        intermediate_glb=intermediate,
        report=report,
        input_stats=stats,
        timings=timings,
    )


def cleaned(read: Asset) -> tuple[Asset, list[str]]:
    """The repairs every build starts from, in one place: a preprocessing that writes the
    intermediate GLB first must leave the same model the pipeline would have made."""
    asset, fixes = repair(read)
    if _normals_follow_winding(asset):
        fixes.append(WINDING_NORMALS_FIX)
    return asset, fixes


def _give_default_material(asset: Asset) -> bool:
    """SimReady binds a material to every visible mesh (VM.MAT.001); what a file leaves
    bare (an STL, a PLY) gets a neutral grey one. True when one was needed."""
    bare = [p for mesh in asset.meshes for p in mesh.primitives if p.material is None]
    if not bare:
        return False
    asset.materials.append(Material(name="default", base_color=GREY, metallic=0.0, roughness=0.6))
    for prim in bare:
        prim.material = len(asset.materials) - 1
    return True


def _normals_follow_winding(asset: Asset) -> bool:
    """SimReady's VG.029 sums, over a mesh's faces, each face's area vector (its winding's
    normal) dotted with its corners' normals, and fails the mesh when the sum is negative.
    MotionCaptureROM.usdc's authored normals fail it on 18 of its 24 meshes, and on 3 more
    they face against the winding on 45-61 % of the surface while the sum stays positive
    (nowhere else in the corpus is it above 0.1 %). The winding is what renderers cull and
    what the volume's sign is taken from, so it wins: a primitive whose sum is negative, or
    whose normals face against their triangles on more than :data:`AGAINST_WINDING` of its
    area, gets normals recomputed from its faces (health's smooth normals), for the
    intermediate GLB, the USD, the MJCF and the thumbnail alike. True when one did."""
    changed = False
    for mesh in asset.meshes:
        for prim in mesh.primitives:
            if prim.normals is None or not len(prim.indices):
                continue
            corners = prim.positions.astype(np.float64)[prim.indices]
            area = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
            normals = prim.normals.astype(np.float64)[prim.indices].sum(1)
            along = np.einsum("ij,ij->i", area, normals)
            size = np.linalg.norm(area, axis=1)
            if along.sum() < 0 or size[along < 0].sum() > AGAINST_WINDING * size.sum():
                prim.normals = smooth_normals(prim)
                changed = True
    return changed


def _label(options: BuildOptions) -> str:
    return options.name.replace("_", " ").replace("-", " ").strip() or "object"


def _input_stats(asset: Asset, fixes: list[str]) -> dict[str, Any]:
    mesh = merged(asset)
    size = (mesh.vertices.max(0) - mesh.vertices.min(0)).tolist() if len(mesh.vertices) else []
    return {
        "vertex_count": len(mesh.vertices),
        "face_count": len(mesh.faces),
        "mesh_count": len(asset.meshes),
        "material_count": len(asset.materials),
        "texture_count": len(asset.textures()),
        "dimensions_m": [round(v, 6) for v in size],
        "repairs": fixes,
    }


def _physics(mass: MassProperties) -> dict[str, Any]:
    return {
        "mass_kg": mass.mass,
        "center_of_mass_m": list(mass.center_of_mass),
        "diagonal_inertia_kg_m2": list(mass.diagonal_inertia),
        "principal_axes_wxyz": list(mass.principal_axes),
        "volume_m3": mass.volume,
        "mass_method": mass.method,
        "floored": mass.floored,
    }


def _collision(collision: Collision, triangles: int, decimated_to: int) -> dict[str, Any]:
    f = collision.figures
    return {
        "method": collision.method,
        "fallback_reason": collision.fallback_reason,
        "seconds": round(collision.seconds, 3),
        "parameters": collision.parameters,
        "triangles_in": triangles,
        "triangles_decomposed": decimated_to,
        "hull_count": f.hull_count,
        "vertices_per_hull": {
            "min": f.vertices_min,
            "max": f.vertices_max,
            "mean": round(f.vertices_mean, 1),
        },
        "volume_hulls_m3": f.volume_hulls,
        "volume_mesh_m3": f.volume_mesh,
        "volume_coverage": round(f.volume_ratio, 4),
        "degenerate_hulls_removed": f.degenerate_removed,
    }
