"""The project's own packages win over same-named PyPI ones (Hugging Face's ``datasets``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_datasets_is_ours():
    import datasets

    assert Path(datasets.__file__).resolve().parent == ROOT / "datasets"


def test_top_level_packages_exist():
    for name in (
        "broker",
        "workers",
        "renderer",
        "shaders",
        "encoders",
        "datasets",
        "exchange",
        "health",
    ):
        assert (ROOT / name / "__init__.py").is_file(), name
    for folder in ("infra", "k8s", "tests", "bench"):
        assert (ROOT / folder).is_dir(), folder
