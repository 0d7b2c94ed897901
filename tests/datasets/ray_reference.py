"""Reference geometry for the dataset tests: the GLB ray cast with trimesh.

The scene's rest pose as one world-space trimesh with the file's smooth vertex normals,
ray cast with trimesh (embree when installed): no code shared with the dataset writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import trimesh

from renderer import Scene, load_scene
from renderer.animation import evaluate_pose
from renderer.framing import posed_points, reachable_nodes

ASSETS = Path(__file__).resolve().parents[1] / "assets"
_scenes: dict[str, Scene] = {}


def scene_of(name: str) -> Scene:
    """A tests/assets model, loaded once per session."""
    if name not in _scenes:
        _scenes[name] = load_scene(ASSETS / name)
    return _scenes[name]


@dataclass(frozen=True)
class RayHits:
    """First hits of one ray per pixel centre (H×W arrays, top row first)."""

    hit: np.ndarray
    depth: np.ndarray
    normal: np.ndarray


def rest_mesh(scene: Scene) -> trimesh.Trimesh:
    """The rest pose as one world-space mesh with the file's smooth vertex normals."""
    pose = evaluate_pose(scene, None, 0.0)
    prims = [
        (i, p)
        for i in reachable_nodes(scene)
        if scene.nodes[i].mesh is not None
        for p in scene.meshes[scene.nodes[i].mesh].primitives  # type: ignore[index]
    ]
    verts, faces, normals, offset = [], [], [], 0
    for pts, (node, prim) in zip(posed_points(scene, pose), prims, strict=True):
        linear = pose.world[node][:3, :3]
        n = prim.normals.astype(np.float64) @ np.linalg.inv(linear)
        normals.append(n / np.linalg.norm(n, axis=1, keepdims=True))
        verts.append(pts)
        faces.append(prim.indices.reshape(-1, 3).astype(np.int64) + offset)
        offset += len(pts)
    mesh = trimesh.Trimesh(np.concatenate(verts), np.concatenate(faces), process=False)
    mesh.vertex_normals = np.concatenate(normals)
    return mesh


def cast(mesh: trimesh.Trimesh, c2w: np.ndarray, fl: float, width: int, height: int) -> RayHits:
    """Ray cast through pixel centres of the pinhole camera (c2w, fl, w, h)."""
    u, v = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    dirs_cam = np.stack(
        [(u - width / 2) / fl, -(v - height / 2) / fl, -np.ones_like(u)], axis=-1
    ).reshape(-1, 3)
    dirs = dirs_cam @ c2w[:3, :3].T
    origins = np.broadcast_to(c2w[:3, 3], dirs.shape).copy()
    locations, index_ray, index_tri = mesh.ray.intersects_location(
        origins, dirs, multiple_hits=False
    )
    hit = np.zeros(width * height, bool)
    depth = np.zeros(width * height)
    normal = np.zeros((width * height, 3))
    hit[index_ray] = True
    forward = -c2w[:3, 2]
    depth[index_ray] = (locations - c2w[:3, 3]) @ forward
    bary = trimesh.triangles.points_to_barycentric(mesh.triangles[index_tri], locations)
    corner_normals = mesh.vertex_normals[mesh.faces[index_tri]]
    n = np.einsum("nk,nkj->nj", bary, corner_normals)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    facing = np.sign(-np.einsum("nj,nj->n", n, dirs[index_ray]))
    normal[index_ray] = n * facing[:, None]
    return RayHits(
        hit.reshape(height, width), depth.reshape(height, width), normal.reshape(height, width, 3)
    )
