"""``points3d.ply``: a coloured point cloud on the object's visible surface.

Gaussian splatting starts from points: without them 3DGS scatters 100 k random ones in
a ±1.3 cube and splatfacto random ones too. We already hold, per view, the exact
z-depth, colour and normal of every pixel, so points are taken by back-projecting a
fixed number of fully covered pixels per view: they lie on surfaces some camera sees
(nothing hidden inside the model), carry the colours the images show, and cost no
extra rendering. Pixels are drawn with a per-view seeded generator: deterministic.

The PLY holds ``x y z nx ny nz red green blue`` — the vertex properties 3DGS's
``fetchPly`` reads (it needs the normals) and open3d (nerfstudio) reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from renderer import Camera

POINT_BUDGET = 100_000
"""Points in the whole cloud (3DGS's random start uses as many)."""

PLY_VERTEX = np.dtype(
    [
        ("x", "<f4"),
        ("y", "<f4"),
        ("z", "<f4"),
        ("nx", "<f4"),
        ("ny", "<f4"),
        ("nz", "<f4"),
        ("red", "u1"),
        ("green", "u1"),
        ("blue", "u1"),
    ]
)


def unproject(
    camera: Camera, width: int, height: int, rows: np.ndarray, cols: np.ndarray, depth: np.ndarray
) -> np.ndarray:
    """World positions of pixel centres (``rows``, ``cols``) at z-depth ``depth``."""
    tan_y = np.tan(np.radians(camera.fov_y) / 2.0)
    tan_x = tan_y * width / height
    x = ((cols + 0.5) / width * 2.0 - 1.0) * tan_x * depth
    y = (1.0 - (rows + 0.5) / height * 2.0) * tan_y * depth
    cam = np.stack([x, y, -depth, np.ones_like(depth)], axis=1)
    return (cam @ camera.camera_to_world().T)[:, :3]


@dataclass
class PointSampler:
    """Collects ``per_view`` surface points from each rendered view."""

    per_view: int
    chunks: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def for_views(cls, views: int) -> PointSampler:
        return cls(per_view=max(1, POINT_BUDGET // max(views, 1)))

    def add(
        self,
        index: int,
        camera: Camera,
        depth: np.ndarray,
        rgb: np.ndarray,
        normal: np.ndarray,
        mask: np.ndarray,
    ) -> None:
        """Sample pixels that are fully covered (mask 255) and have a depth."""
        rows, cols = np.nonzero((mask == 255) & (depth > 0))
        if not len(rows):
            return
        rng = np.random.default_rng(index)
        pick = rng.choice(len(rows), size=min(self.per_view, len(rows)), replace=False)
        rows, cols = rows[pick], cols[pick]
        height, width = depth.shape
        xyz = unproject(camera, width, height, rows, cols, depth[rows, cols].astype(np.float64))
        chunk = np.empty(len(rows), PLY_VERTEX)
        for axis, name in enumerate("xyz"):
            chunk[name] = xyz[:, axis]
            chunk["n" + name] = normal[rows, cols, axis]
        for channel, name in enumerate(("red", "green", "blue")):
            chunk[name] = rgb[rows, cols, channel]
        self.chunks.append(chunk)

    def ply_bytes(self) -> bytes:
        """Binary little-endian PLY of every point collected."""
        vertices = np.concatenate(self.chunks) if self.chunks else np.empty(0, PLY_VERTEX)
        props = "".join(
            f"property {'float' if PLY_VERTEX[name].kind == 'f' else 'uchar'} {name}\n"
            for name in PLY_VERTEX.fields or {}
        )
        header = (
            "ply\nformat binary_little_endian 1.0\ncomment meshfarm dataset surface points\n"
            f"element vertex {len(vertices)}\n{props}end_header\n"
        )
        return header.encode("ascii") + vertices.tobytes()
