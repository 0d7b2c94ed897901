"""The built-in studio: meshfarm's default lighting, as an equirectangular radiance map.

A photo studio in a formula: a soft grey sweep from a bright ceiling to a darker floor, a
large overhead soft box, a key box front-left, a fill box right and a rim strip behind,
all neutral white so a grey object renders grey. Only numpy is needed, so the map can be
made where meshfarm is not installed; ``python -m renderer.studio OUT.hdr`` writes it as
a Radiance file another renderer (Blender, three.js, the glTF Sample Viewer) can be lit
with identically.

Equirectangular convention (the glTF Sample Viewer's, three.js's and Blender's): image
row 0 looks straight up (+Y), column u (0..1 across the width) looks along azimuth
``φ = 2π(u − ½)`` measured from +X towards +Z, i.e. the centre column looks along +X and
the column a quarter of the width in looks along −Z.
"""

from __future__ import annotations

import sys

import numpy as np

WIDTH, HEIGHT = 1024, 512

SOFT_BOXES = (
    # (direction towards the box, angular radius in degrees, linear radiance)
    ((0.0, 1.0, 0.15), 32.0, 3.2),  # overhead
    ((-0.62, 0.45, 0.64), 18.0, 4.9),  # key, front-left (the model's front is +Z)
    ((0.85, 0.25, 0.45), 22.0, 1.45),  # fill, right
    ((0.35, 0.35, -0.87), 12.0, 3.5),  # rim, behind
)
SKY, HORIZON, FLOOR = 0.62, 0.42, 0.16


def equirect_directions(width: int, height: int) -> np.ndarray:
    """H×W×3 unit directions of the pixel centres of an equirectangular map."""
    theta = (np.arange(height) + 0.5) / height * np.pi
    phi = ((np.arange(width) + 0.5) / width - 0.5) * 2.0 * np.pi
    st = np.sin(theta)[:, None]
    x = st * np.cos(phi)[None, :]
    y = np.broadcast_to(np.cos(theta)[:, None], x.shape)
    z = st * np.sin(phi)[None, :]
    return np.stack([x, y, z], axis=-1)


def studio_radiance(width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The studio as an H×W×3 float32 linear radiance map (row 0 = straight up)."""
    d = equirect_directions(width, height)
    y = d[..., 1]
    up, down = np.clip(y, 0.0, 1.0), np.clip(-y, 0.0, 1.0)
    radiance = HORIZON + (SKY - HORIZON) * np.sqrt(up) + (FLOOR - HORIZON) * np.sqrt(down)
    for direction, radius, value in SOFT_BOXES:
        axis = np.asarray(direction) / np.linalg.norm(direction)
        angle = np.degrees(np.arccos(np.clip(d @ axis, -1.0, 1.0)))
        mask = 1.0 - np.clip((angle - radius * 0.75) / (radius * 0.25), 0.0, 1.0)
        radiance = radiance + mask**2 * value
    return np.repeat(radiance[..., None], 3, axis=2).astype(np.float32)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m renderer.studio OUT.hdr")
    import imagecodecs

    with open(sys.argv[1], "wb") as out:
        out.write(imagecodecs.rgbe_encode(studio_radiance()))
