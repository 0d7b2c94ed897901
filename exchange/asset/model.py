"""One in-memory 3D asset that every reader fills and every writer empties.

glTF's shape (nodes with local 4×4 transforms, meshes of primitives, PBR
metallic-roughness materials) because it is the richest common ground of the formats read
here; textures stay the encoded bytes the file brought (PNG or JPEG) so a conversion never
re-encodes an image. ``up_axis`` and ``meters_per_unit`` say how the source's numbers are
meant; :func:`exchange.asset.transform.normalised` turns them into glTF's Y-up metres.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Texture:
    data: bytes
    mime: str
    """``image/png`` or ``image/jpeg``."""


@dataclass
class Material:
    name: str = ""
    base_color: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    base_color_texture: Texture | None = None
    metallic: float = 1.0
    roughness: float = 1.0
    metallic_roughness_texture: Texture | None = None
    normal_texture: Texture | None = None
    occlusion_texture: Texture | None = None
    emissive: tuple[float, float, float] = (0.0, 0.0, 0.0)
    emissive_texture: Texture | None = None

    def textures(self) -> list[Texture]:
        maps = (
            self.base_color_texture,
            self.metallic_roughness_texture,
            self.normal_texture,
            self.occlusion_texture,
            self.emissive_texture,
        )
        return [t for t in maps if t is not None]


@dataclass
class Primitive:
    positions: np.ndarray
    """(n, 3) float32."""
    indices: np.ndarray
    """(m, 3) uint32 triangles."""
    normals: np.ndarray | None = None
    uvs: np.ndarray | None = None
    """(n, 2) float32, glTF's convention (v down from the image's top)."""
    material: int | None = None


@dataclass
class Mesh:
    name: str
    primitives: list[Primitive]


@dataclass
class Node:
    name: str = ""
    matrix: np.ndarray = field(default_factory=lambda: np.eye(4))
    """Local transform, column vectors (p' = M @ p)."""
    mesh: int | None = None
    children: list[int] = field(default_factory=list)


@dataclass
class Asset:
    nodes: list[Node]
    roots: list[int]
    meshes: list[Mesh]
    materials: list[Material]
    up_axis: str = "Y"
    meters_per_unit: float = 1.0

    def placed(self) -> Iterator[tuple[np.ndarray, Primitive]]:
        """Every drawn primitive with its world matrix (each node once, roots first)."""
        stack = [(r, np.eye(4)) for r in self.roots]
        while stack:
            i, parent = stack.pop()
            node = self.nodes[i]
            world = parent @ node.matrix
            if node.mesh is not None:
                for prim in self.meshes[node.mesh].primitives:
                    yield world, prim
            stack.extend((c, world) for c in node.children)

    def textures(self) -> list[Texture]:
        """The distinct images the materials use."""
        seen: dict[bytes, Texture] = {}
        for m in self.materials:
            for t in m.textures():
                seen.setdefault(t.data, t)
        return list(seen.values())


def world_points(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return (points.astype(np.float64) @ matrix[:3, :3].T + matrix[:3, 3]).astype(np.float32)


def single_mesh_asset(mesh: Mesh, materials: list[Material], up_axis: str = "Y") -> Asset:
    """An asset of one node holding ``mesh`` (what OBJ, STL and PLY files are)."""
    return Asset([Node(mesh.name, mesh=0)], [0], [mesh], materials, up_axis)
