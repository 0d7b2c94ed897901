"""2D → 3D without a generative model: the visual hull of 2–4 pictures, textured by them.

The pictures are the documented views (Rigyd's SDK order: front, right, back, left —
see :mod:`reconstruction.views`; 2 pictures are front + right, 3 add back) of one object
on a plain background. Each is cut out (:mod:`reconstruction.segment`), the silhouettes
carve a voxel grid (:mod:`reconstruction.carving`: a point survives when it falls inside
every silhouette), surface nets turn the grid into a closed mesh
(:mod:`reconstruction.surface_nets`), and the pictures, cropped into one texture, colour
it (:mod:`reconstruction.texture`). The result is a GLB written by :mod:`exchange.asset`.

Assumptions (what the pictures must be for the answer to be right):

- **Cameras**: orthographic, or far enough for weak perspective (a long lens); at the
  object's mid-height, level (elevation 0), looking at the object's centre, each turned
  90° from the last about the vertical axis, in the documented order.
- **Framing**: the whole object in every frame with background all round. The frames
  need not share zoom or position: each silhouette is scaled by its own vertical
  extent (the object's height, the same from every level side view) and centred on
  the middle of its own horizontal and vertical extent (where the object's vertical
  axis appears), so portrait and landscape pictures mix.
- **Scale**: a picture has none, so the object is made ``height_m`` tall (0.3 m by
  default), standing on y = 0 with its vertical axis on x = z = 0, glTF's Y-up metres,
  its front facing +Z.

Honest limits:

- Concavities no silhouette shows are filled in: a bowl's hollow, a cup's inside, the
  space between a chair's legs seen edge-on. The result is the visual hull, the largest
  shape consistent with the outlines — always fatter than the object, most where the
  object is least like its outlines' intersection (with 4 views, a cylinder's
  cross-section stays a rounded square).
- Only the documented views: pictures from other angles, above, or in a different
  order carve the wrong shape (the per-view IoU in :class:`Carved` then drops, and
  below :data:`MIN_IOU` the job is refused).
- Parts thinner than about a voxel (the object's largest extent / ``resolution``) may
  vanish or break up; through-holes survive only when a view sees through them.
- Colour is the pictures' own, lighting and shadows baked in; the top and bottom are
  seen by no level camera and take smeared colours from the rims of the side views;
  with 2 or 3 pictures the unseen sides copy the opposite view, mirrored.
- Segmentation is by colour distance from the border's colour: object parts the colour
  of the backdrop are cut away at the outline, and a shadow cast on the backdrop becomes
  part of the object. Inside the outline, a hole is kept only when the opposite picture
  sees through there too (:mod:`reconstruction.holes`) — so white paint on a white
  backdrop does not bore a tunnel with 4 pictures, but does with 2 or 3 (no opposite
  view to ask), and a patch the backdrop's colour on both opposite faces, in mirrored
  places, is taken for an opening. A PNG with transparency avoids all of it.
- Perspective: a lens that is not long makes the nearer half of the object look larger
  than the farther; meshfarm's own 15° views carve the duck's length and depth about 3 %
  short of its height's proportions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exchange.asset import write_asset
from exchange.asset.model import Material, Mesh, Primitive, Texture, single_mesh_asset
from reconstruction.carving import carve_field
from reconstruction.errors import ReconstructionFailed
from reconstruction.holes import confirmed
from reconstruction.reproject import iou, outline
from reconstruction.segment import segment
from reconstruction.surface_nets import decimated, smoothed, surface_nets
from reconstruction.texture import texture
from reconstruction.views import ORDER

DEFAULT_HEIGHT_M = 0.3
"""The height given to the object (pictures carry no scale): a tabletop object."""

DEFAULT_MAX_TRIANGLES = 20_000
"""The surface is decimated to at most this many triangles (the grid makes ~2 per voxel
face: a 96³ box would be 110 000)."""

MIN_IOU = 0.5
"""Below this, a view's outline and the carved shape disagree: the views do not match."""


@dataclass(frozen=True)
class Carved:
    path: Path
    views: tuple[str, ...]
    """The view each picture was taken as, in the order given."""
    voxels: int
    """Grid points kept (inside every silhouette)."""
    grid: tuple[int, int, int]
    triangles: int
    silhouette_iou: dict[str, float]
    """Per view: the GLB's outline re-projected against the picture's silhouette."""
    height_m: float
    """The assumed height (pictures carry no scale)."""
    size_m: tuple[float, float, float]
    """The result's bounding box (x, y, z) in metres."""
    seconds: float


def carve(
    images: list[Path],
    dest: Path,
    *,
    resolution: int = 96,
    height_m: float = DEFAULT_HEIGHT_M,
    max_triangles: int = DEFAULT_MAX_TRIANGLES,
) -> Carved:
    """The visual hull of ``images`` (2–4 documented views) as a textured GLB at ``dest``.

    ``resolution`` is the number of voxels along the object's largest extent (the grid
    has at most ``resolution``³ of them). Raises :class:`ReconstructionFailed` with a
    message for the user when the pictures cannot be used.
    """
    start = time.monotonic()
    if not 2 <= len(images) <= len(ORDER):
        raise ReconstructionFailed(
            f"give 2 to 4 pictures (front, right, back, left in that order), not {len(images)}"
        )
    if not 8 <= resolution <= 512:
        raise ReconstructionFailed("resolution must be between 8 and 512 voxels")
    shots = confirmed(list(zip(ORDER, (segment(p) for p in images), strict=False)))
    grid = carve_field(shots, resolution)
    voxels = int((grid.field > 0).sum())
    if voxels == 0:
        raise ReconstructionFailed("the silhouettes have nothing in common: check the views")
    vertices, faces = surface_nets(grid.field, grid.origin, grid.spacing)
    vertices, faces = decimated(smoothed(vertices, faces), faces, max_triangles)
    ious = {view.name: iou(outline(view, shot, vertices, faces), shot.mask) for view, shot in shots}
    poor = [f"{name} ({value:.2f})" for name, value in ious.items() if value < MIN_IOU]
    if poor:
        raise ReconstructionFailed(
            "the pictures do not show one object from the documented views (front, "
            f"right, back, left): the carved shape does not match {', '.join(poor)}"
        )
    textured = texture(vertices, faces, shots, grid)
    positions = textured.positions * height_m
    positions[:, 1] -= positions[:, 1].min()
    primitive = Primitive(
        positions=positions.astype(np.float32),
        indices=textured.indices.astype(np.uint32),
        normals=textured.normals.astype(np.float32),
        uvs=textured.uvs.astype(np.float32),
        material=0,
    )
    material = Material(
        name="carved",
        base_color_texture=Texture(textured.png, "image/png"),
        metallic=0.0,
        roughness=0.8,
    )
    dest.parent.mkdir(parents=True, exist_ok=True)
    write_asset(single_mesh_asset(Mesh("carved", [primitive]), [material]), dest, "glb")
    size = positions.max(axis=0) - positions.min(axis=0)
    return Carved(
        path=dest,
        views=tuple(view.name for view, _ in shots),
        voxels=voxels,
        grid=(grid.field.shape[0], grid.field.shape[1], grid.field.shape[2]),
        triangles=len(faces),
        silhouette_iou=ious,
        height_m=height_m,
        size_m=(float(size[0]), float(size[1]), float(size[2])),
        seconds=time.monotonic() - start,
    )
