"""The documented views (Rigyd's SDK: front, right, back, left) as axes of the grid.

glTF's frame: +Y up, the object's front faces +Z, its own right is −X. Every camera stands
at the object's height and looks at its centre: front from +Z, right from −X (it sees the
object's own right side), back from −Z, left from +X — the camera turning 90° at a time
around the vertical axis. These are the cameras of meshfarm's views job
(:mod:`workers.views_job`, Thrixel's reference images), so its pictures carve as they
are. "Right" is the object's right, as one says of a car's right side — the photographer,
having taken the front, walks to their own left to take it. The other reading (the
photographer's right, as a drafting table's "right side view") walks the other way round;
the silhouettes cannot tell the two apart — the carved shape is the object mirrored front
to back, every outline still matching — only the colours land on the wrong sides, so the
order is documented rather than guessed.

At elevation 0 an orthographic view of that kind sees a plane spanned by +Y and one
horizontal axis, so each view is "which grid axis runs to the image's right, in which
sense, and from which side the camera looks".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class View:
    name: str
    across: int
    """The grid axis (0 = x, 2 = z) that runs to the image's right."""
    across_sign: float
    """+1 when that axis grows to the image's right, −1 when it grows to the left."""
    depth: int
    """The grid axis the camera looks along."""
    toward_camera: tuple[float, float, float]
    """Unit vector from the object to the camera (a surface facing it is seen frontally)."""

    def image_x(self, points: np.ndarray) -> np.ndarray:
        """Horizontal image coordinate (object-centred, height-normalised) of ``points``."""
        return self.across_sign * points[..., self.across]

    def nearness(self, points: np.ndarray) -> np.ndarray:
        """How close to the camera ``points`` lie along its line of sight."""
        axis = np.asarray(self.toward_camera)
        return points @ axis


FRONT = View("front", across=0, across_sign=1.0, depth=2, toward_camera=(0.0, 0.0, 1.0))
RIGHT = View("right", across=2, across_sign=1.0, depth=0, toward_camera=(-1.0, 0.0, 0.0))
BACK = View("back", across=0, across_sign=-1.0, depth=2, toward_camera=(0.0, 0.0, -1.0))
LEFT = View("left", across=2, across_sign=-1.0, depth=0, toward_camera=(1.0, 0.0, 0.0))

ORDER = (FRONT, RIGHT, BACK, LEFT)
"""Images 1..4 in the order the SDK documents; 2 images are front + right, 3 add back."""

OPPOSITE = {"front": "back", "back": "front", "right": "left", "left": "right"}
"""The view whose camera stands across the object: it sees the same outline, mirrored."""
