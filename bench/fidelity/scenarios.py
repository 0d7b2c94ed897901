"""The benchmark's models and their cameras, as Khronos glTF-Render-Fidelity scenarios.

Cameras are the generator's own (test/config.json of KhronosGroup/glTF-Render-Fidelity-
Generator, its defaults θ 0°, φ 90°, radius 1, target 0, vertical FoV 45°, 768×768) for
every sample it has a scenario for; the others are framed here from their bounds. The
scenario's size is scaled so its long side is ``size`` (the renderers draw twice that),
which keeps a Cycles reference within minutes on two cores.
"""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEARCH = (
    ROOT / "tests" / "assets",
    ROOT.parent / "shared" / "assets" / "glb",
    ROOT.parent / "shared" / "assets" / "gltf",
)
DEFAULT = {
    "dimensions": {"width": 768, "height": 768},
    "target": {"x": 0.0, "y": 0.0, "z": 0.0},
    "orbit": {"theta": 0.0, "phi": 90.0, "radius": 1.0},
    "verticalFoV": 45.0,
}
AUTO_THETA, AUTO_PHI, AUTO_MARGIN = 30.0, 75.0, 1.1


@dataclass(frozen=True)
class Model:
    """A sample and its Khronos scenario overrides (None: framed from its bounds).

    ``meshopt``: Blender cannot import it; Cycles renders a decoded copy (plain_glb.py).
    """

    name: str
    file: str
    khronos: dict[str, Any] | None = field(default=None)
    meshopt: bool = False


MODELS: tuple[Model, ...] = (
    Model("Duck", "Duck.glb", {"target": {"y": 0.86}, "orbit": {"radius": 2.7}}),
    Model("BoxTextured", "BoxTextured.glb", {"orbit": {"theta": 30, "phi": 60, "radius": 2.38}}),
    Model(
        "BoxMeshopt",
        "BoxMeshopt.glb",
        {"orbit": {"theta": 30, "phi": 60, "radius": 2.38}},
        meshopt=True,
    ),
    Model("DamagedHelmet", "DamagedHelmet.glb", {"orbit": {"radius": 3}}),
    Model(
        "Fox",
        "Fox.glb",
        {"target": {"x": -35, "y": 37, "z": 25}, "orbit": {"theta": -60, "radius": 124}},
    ),
    Model(
        "CesiumMilkTruck", "CesiumMilkTruck.glb", {"target": {"y": 1.3}, "orbit": {"radius": 7.8}}
    ),
    Model(
        "AlphaBlendModeTest",
        "AlphaBlendModeTest.glb",
        {
            "dimensions": {"width": 1024, "height": 512},
            "target": {"y": 1.1},
            "orbit": {"radius": 6},
        },
    ),
    Model("CesiumMan", "CesiumMan.zip", {"target": {"y": 0.75}, "orbit": {"radius": 2}}),
    Model(
        "AnimatedMorphCube",
        "AnimatedMorphCube.zip",
        {"orbit": {"theta": 30, "phi": 60, "radius": 4.75}},
    ),
    Model("ClearCoatTest", "ClearCoatTest.zip", {"orbit": {"radius": 20}}),
    Model("MultiUVTest", "MultiUVTest.zip", {"orbit": {"radius": 4.25}}),
    Model("TextureTransformTest", "TextureTransformTest.zip", {"orbit": {"radius": 4}}),
    Model("UnlitTest", "UnlitTest.zip", {"orbit": {"radius": 7}}),
    Model("VertexColorTest", "VertexColorTest.zip", {"orbit": {"radius": 4}}),
    Model(
        "SheenCloth",
        "SheenCloth.glb",
        {
            "dimensions": {"width": 1200},
            "target": {"y": 0.015},
            "orbit": {"radius": 0.059},
        },
    ),
    Model("Barrel", "Barrel.glb"),
    Model("ShapeCollection", "ShapeCollection.glb"),
    Model("2CylinderEngine", "2CylinderEngine-draco.zip"),
)


def find(file: str) -> Path:
    for folder in SEARCH:
        if (folder / file).is_file():
            return folder / file
    raise FileNotFoundError(f"{file} is in none of {', '.join(map(str, SEARCH))}")


def unpacked(path: Path, cache: Path) -> Path:
    """A .zip's .gltf/.glb, extracted once under ``cache`` (every peer reads files)."""
    if path.suffix.lower() != ".zip":
        return path
    dest = cache / "models" / path.stem
    if not dest.exists():
        tmp = dest.with_name(dest.name + ".partial")
        with zipfile.ZipFile(path) as zf:
            zf.extractall(tmp)
        tmp.rename(dest)
    found = sorted(p for p in dest.rglob("*") if p.suffix.lower() in (".gltf", ".glb"))
    found = [p for p in found if "__MACOSX" not in p.parts]
    if not found:
        raise FileNotFoundError(f"no .gltf/.glb inside {path}")
    return found[0]


def auto_orbit(model: Path, fov: float) -> dict[str, Any]:
    """Target the bounds' centre; back off until the bounding sphere fits the view."""
    import sys

    sys.path.insert(0, str(ROOT))
    from renderer import RenderSettings, load_scene, stage

    _, bounds = stage(load_scene(model), RenderSettings())
    c = [float(v) for v in bounds.center]
    radius = AUTO_MARGIN * float(bounds.radius) / math.sin(math.radians(fov) / 2)
    return {
        "target": {"x": c[0], "y": c[1], "z": c[2]},
        "orbit": {"theta": AUTO_THETA, "phi": AUTO_PHI, "radius": radius},
    }


def scenario(model: Model, path: Path, lighting: Path, size: int) -> dict[str, Any]:
    """The generator's scenario object for ``model`` (its ``model`` is ``path``)."""
    overrides = model.khronos if model.khronos is not None else auto_orbit(path, 45.0)
    s: dict[str, Any] = {
        key: dict(value) if isinstance(value, dict) else value for key, value in DEFAULT.items()
    }
    for key, value in overrides.items():
        s[key] = {**s[key], **value} if isinstance(value, dict) else value
    w, h = s["dimensions"]["width"], s["dimensions"]["height"]
    scale = size / max(w, h)
    s["dimensions"] = {"width": max(1, round(w * scale)), "height": max(1, round(h * scale))}
    s.update(
        name=f"khronos-{model.name}",
        model=str(path),
        lighting=str(lighting),
        renderSkybox=False,
    )
    return s
