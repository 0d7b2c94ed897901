"""Camera directions spread evenly, and every camera frames the whole object."""

from __future__ import annotations

import numpy as np
import pytest
from ray_reference import rest_mesh, scene_of
from scipy.spatial import cKDTree

from datasets import dataset_cameras, fibonacci_directions, scene_bounds


def _angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.arccos(np.clip(a @ b.T, -1.0, 1.0))


@pytest.mark.parametrize(
    ("count", "coverage"),
    [(100, "hemisphere"), (196, "hemisphere"), (400, "hemisphere"), (100, "sphere")],
)
def test_directions_are_evenly_spread(count, coverage):  # type: ignore[no-untyped-def]
    dirs = fibonacci_directions(count, coverage)
    assert np.allclose(np.linalg.norm(dirs, axis=1), 1.0)
    if coverage == "hemisphere":
        assert dirs[:, 1].min() >= 0.0
    area = 2 * np.pi if coverage == "hemisphere" else 4 * np.pi
    mean_spacing = np.sqrt(area / count)
    nearest = cKDTree(dirs).query(dirs, k=2)[0][:, 1]  # chord ≈ angle at these spacings
    assert nearest.min() >= 0.5 * mean_spacing
    probes = np.random.default_rng(0).normal(size=(20_000, 3))
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)
    if coverage == "hemisphere":
        probes[:, 1] = np.abs(probes[:, 1])
    gap = _angles(probes, dirs).min(axis=1).max()
    assert gap <= mean_spacing  # no hole wider than one spacing anywhere on the surface


def test_directions_are_deterministic():  # type: ignore[no-untyped-def]
    assert np.array_equal(fibonacci_directions(100, "sphere"), fibonacci_directions(100, "sphere"))


@pytest.mark.parametrize("asset", ["Duck.glb", "Fox.glb", "CesiumMilkTruck.glb"])
def test_every_camera_frames_the_whole_object(asset):  # type: ignore[no-untyped-def]
    """Every vertex of the model projects inside the image and between near and far."""
    scene = scene_of(asset)
    bounds = scene_bounds(scene)
    vertices = np.c_[rest_mesh(scene).vertices, np.ones(len(rest_mesh(scene).vertices))]
    for camera in dataset_cameras(bounds, 100, "sphere", 64, 48):
        assert np.allclose(np.asarray(camera.target), bounds.center)
        clip = (camera.projection_matrix() @ camera.view_matrix() @ vertices.T).T
        ndc = clip[:, :3] / clip[:, 3:]
        assert np.all(clip[:, 3] > 0)
        assert np.abs(ndc).max() < 1.0
