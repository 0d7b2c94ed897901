"""The sheen lobe's directional albedo, for KHR_materials_sheen's energy balance.

The sheen layer (Charlie distribution, Neubelt visibility) reflects a share ``E(cos θ,
roughness)`` of the light; the base under it keeps ``1 − max(sheen colour) · E``. ``E``
has no closed form, so it is integrated here once (numpy, a few milliseconds) into a
small table the shader reads with bilinear filtering.
"""

from __future__ import annotations

from functools import cache

import numpy as np

LUT_SIZE = 32


@cache
def sheen_albedo_table(size: int = LUT_SIZE, steps: int = 48) -> np.ndarray:
    """``E`` at texel centres: rows are roughness, columns cos θ_v (size×size float32)."""
    mu_v = (np.arange(size) + 0.5) / size
    rough = (np.arange(size) + 0.5) / size
    theta = (np.arange(steps) + 0.5) / steps * (np.pi / 2)
    phi = (np.arange(2 * steps) + 0.5) / (2 * steps) * (2 * np.pi)
    d_omega = (np.pi / 2 / steps) * (2 * np.pi / (2 * steps)) * np.sin(theta)[:, None]
    lx = (np.sin(theta)[:, None] * np.cos(phi)[None, :])[None]
    ly = (np.sin(theta)[:, None] * np.sin(phi)[None, :])[None]
    lz = np.broadcast_to(np.cos(theta)[:, None], lx.shape[1:])[None]
    mv = mu_v[:, None, None]
    hx, hz = lx + np.sqrt(1.0 - mv * mv), lz + mv
    n_dot_h = hz / np.sqrt(hx * hx + ly * ly + hz * hz)
    log_sin2h = np.log(np.maximum(1.0 - n_dot_h * n_dot_h, 0.0078125))
    weight = np.clip(1.0 / (4.0 * (lz + mv - lz * mv)), 0.0, 1.0) * lz * d_omega[None]
    table = np.empty((size, size), dtype=np.float64)
    for j, r in enumerate(rough):
        inv_r = 1.0 / max(r * r, 1e-6)
        d = (2.0 + inv_r) * np.exp(log_sin2h * (inv_r * 0.5)) / (2.0 * np.pi)
        table[j] = np.sum(d * weight, axis=(1, 2))
    return np.clip(table, 0.0, 1.0).astype(np.float32)
