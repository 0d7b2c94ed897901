"""A job's inputs, fetched from the object store: the model, a background, an environment.

A spec names its inputs by id; the assignment says where each one is stored now, or None
when it was deleted after the job was accepted. A deleted input fails the job with a
message for the user (:class:`InputMissing`) rather than rendering without it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from renderer import Environment
from workers.environments import BUILTIN_ENVIRONMENTS, load_stored_environment
from workers.jobs import StoredInput
from workers.specs import RenderSpec
from workers.storage import ObjectStore

Inputs = Mapping[str, StoredInput | None]


class InputMissing(Exception):
    """An input the spec names was deleted before the job ran."""


class OverlayMissing(InputMissing):
    """The spec's background image or environment overlay was deleted."""


def _stored(inputs: Inputs, name: str, missing: InputMissing) -> StoredInput:
    stored = inputs.get(name)
    if stored is None:
        raise missing
    return stored


def model_input(inputs: Inputs) -> StoredInput:
    """Where the job's model is stored."""
    return _stored(inputs, "model", InputMissing("The model no longer exists"))


def fetch_model(
    model: StoredInput, store: ObjectStore, workdir: Path, timings: dict[str, float]
) -> Path:
    """Download the model into ``workdir``, the seconds it took in ``timings["download"]``."""
    started = time.monotonic()
    path = store.download(model.key, workdir / f"model.{model.format}")
    timings["download"] = time.monotonic() - started
    return path


def read_image(path: Path) -> np.ndarray:
    """An image file's pixels: H×W×3, or H×W×4 when it has transparency."""
    with Image.open(path) as img:
        alpha = "A" in img.getbands() or "transparency" in img.info
        return np.asarray(img.convert("RGBA" if alpha else "RGB"))


def load_background(
    spec: RenderSpec, inputs: Inputs, store: ObjectStore, workdir: Path
) -> np.ndarray | None:
    """The pixels of the spec's background overlay (None without one)."""
    if spec.bg_image_id is None:
        return None
    missing = OverlayMissing(f"The background overlay {spec.bg_image_id!r} no longer exists")
    stored = _stored(inputs, "bg_image", missing)
    return read_image(store.download(stored.key, workdir / "background"))


def load_environment(
    spec: RenderSpec, inputs: Inputs, store: ObjectStore, workdir: Path
) -> Environment | None:
    """The spec's uploaded environment map, or None for a built-in one (or none)."""
    name = spec.environment
    if name is None or name in BUILTIN_ENVIRONMENTS:
        return None
    missing = OverlayMissing(f"The environment overlay {name!r} no longer exists")
    stored = _stored(inputs, "environment", missing)
    return load_stored_environment(store, stored.key, workdir)
