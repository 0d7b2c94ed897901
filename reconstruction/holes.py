"""A hole in a silhouette is kept only when the opposite picture sees through there too.

Seen level and from far away, a real opening (a handle's, a frame's) shows in the front
picture and, mirrored, in the back one — the same rays, walked the other way. A patch of
the object in the backdrop's colour (white lettering on a white backdrop) cuts a hole
into only the picture that faces it; carved as it is, it would bore a tunnel through the
whole object. So a large hole (segmentation already fills the small ones) stays open only
when at least :data:`CONFIRMED_SHARE` of it falls in a hole of the opposite picture,
mapped through the object frame; otherwise it is filled, and its pixels are coloured by
the surrounding object. A picture with no opposite (2 or 3 views) keeps its holes: it
alone decides.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import ndimage

from reconstruction.segment import Silhouette
from reconstruction.views import OPPOSITE, View

CONFIRMED_SHARE = 0.5
"""Share of a hole the opposite picture must also see through (perspective and rounding
move the mirrored outline by a few pixels)."""


def confirmed(shots: list[tuple[View, Silhouette]]) -> list[tuple[View, Silhouette]]:
    """``shots`` with every hole that the opposite picture does not confirm filled."""
    by_name = {view.name: (view, shot) for view, shot in shots}
    out = []
    for view, shot in shots:
        other = by_name.get(OPPOSITE[view.name])
        holes = _holes(shot.mask)
        if other is None or not holes.any():
            out.append((view, shot))
            continue
        through = _mapped(other, view, shot)
        labels, count = ndimage.label(holes)
        share = np.asarray(ndimage.mean(through, labels, index=np.arange(1, count + 1)))
        filled = np.isin(labels, 1 + np.flatnonzero(share < CONFIRMED_SHARE))
        out.append((view, replace(shot, mask=shot.mask | filled)))
    return out


def _mapped(other: tuple[View, Silhouette], view: View, shot: Silhouette) -> np.ndarray:
    """(h, w) float of ``shot``'s frame: 1 where the opposite picture sees through."""
    other_view, other_shot = other
    holes = _holes(other_shot.mask)
    rows, cols = np.indices(shot.mask.shape, dtype=np.float64)
    # This picture's pixel → object frame (height units) → the opposite picture's pixel.
    y = (shot.centre_y - rows) / shot.height_px
    across = view.across_sign * (cols - shot.centre_x) / shot.height_px
    other_rows = other_shot.centre_y - other_shot.height_px * y
    other_cols = other_shot.centre_x + other_shot.height_px * other_view.across_sign * across
    return ndimage.map_coordinates(
        holes.astype(np.float64), [other_rows, other_cols], order=0, mode="constant", cval=0.0
    )


def _holes(mask: np.ndarray) -> np.ndarray:
    """The background pixels the object's outline encloses."""
    return np.asarray(ndimage.binary_fill_holes(mask) & ~mask)
