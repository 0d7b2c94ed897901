"""Whether a mesh encloses a volume: the question both the colliders' figures and the
mass ask, answered once.

A glTF mesh splits its vertices along UV and normal seams, so it is welded by position
first (trimesh's ``merge_vertices``); then it is a solid when every edge has exactly two
faces (``is_watertight``) and the volume it encloses is positive (an inside-out solid is
turned right side out first).
"""

from __future__ import annotations

import trimesh

from physics.model import Hull, TriMesh


def solid(mesh: TriMesh) -> trimesh.Trimesh | None:
    """The mesh as a closed, outward-wound trimesh, or None when it encloses nothing."""
    if not len(mesh.faces):
        return None
    tm = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
    tm.merge_vertices()
    tm.remove_unreferenced_vertices()
    if not tm.is_watertight:
        return None
    if tm.volume < 0:
        tm.invert()
    return tm if tm.volume > 0 else None


def hull_solid(hull: Hull) -> trimesh.Trimesh:
    """A collider as a trimesh (already closed and wound outward by construction)."""
    return trimesh.Trimesh(hull.vertices, hull.faces, process=False)
