"""Models rebuilt from pictures (a pure library): images and camera poses in, a mesh out.

:func:`carve` is the classical, model-free answer to "2D → 3D": the visual hull of 2–4
documented views, textured by them (see :mod:`reconstruction.silhouette` for what it
assumes and cannot do).
"""

from reconstruction.errors import ReconstructionFailed
from reconstruction.silhouette import DEFAULT_HEIGHT_M, DEFAULT_MAX_TRIANGLES, Carved, carve

__all__ = ["DEFAULT_HEIGHT_M", "DEFAULT_MAX_TRIANGLES", "Carved", "ReconstructionFailed", "carve"]
