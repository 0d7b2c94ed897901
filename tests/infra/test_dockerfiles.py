"""The broker and worker images' Dockerfiles: hadolint-clean, pinned, non-root, healthy,
and built from what the suite tested (the same packages, Python, Ray and Blender)."""

from __future__ import annotations

import ctypes.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import ray
from deploy_files import (
    DOCKERFILES,
    INFRA,
    ROOT,
    dockerfile_instructions,
    parse_meshfarm,
    parse_ray_start,
    unknown_settings,
)

HADOLINT = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hadolint"
BROKER, WORKER = DOCKERFILES


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    done = hadolint(dockerfile)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_hadolint_refuses_what_the_images_avoid(tmp_path: Path) -> None:
    """The same hadolint fails an unpinned base, `latest`, a root user and apt lists kept."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python\nFROM node:latest\nRUN apt-get update && apt-get install -y ffmpeg\n"
        "USER root\n"
    )
    done = hadolint(bad)
    assert done.returncode != 0
    for rule in ("DL3006", "DL3007", "DL3009", "DL3002"):
        assert rule in done.stdout, done.stdout


def _from_images(dockerfile: Path) -> list[str]:
    return [args.split()[0] for kind, args in dockerfile_instructions(dockerfile) if kind == "FROM"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned_releases(dockerfile: Path) -> None:
    for image in _from_images(dockerfile):
        _, _, tag = image.partition(":")
        assert tag and tag != "latest" and re.search(r"\d+\.\d+", tag), image


def test_both_images_run_the_same_python_and_ray() -> None:
    """Ray Client (the broker) refuses a cluster (the workers) of another Ray or Python."""
    assert _from_images(BROKER)[-1] == _from_images(WORKER)[-1]
    pins = {
        path.name: set(re.findall(r"ray\[[a-z,]+\]==([\d.]+)", path.read_text()))
        for path in DOCKERFILES
    }
    assert pins == {BROKER.name: {ray.__version__}, WORKER.name: {ray.__version__}}
    python = re.search(r"python:(\d+\.\d+)", _from_images(BROKER)[-1])
    assert python is not None
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["requires-python"] == f">={python.group(1)}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_every_package_of_the_project_is_copied(dockerfile: Path) -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    copied = {
        args.split()[0]
        for kind, args in dockerfile_instructions(dockerfile)
        if kind == "COPY" and not args.startswith("--from")
    }
    assert packages <= copied, packages - copied


def _project_install(dockerfile: Path) -> str:
    (install,) = [
        args
        for kind, args in dockerfile_instructions(dockerfile)
        if kind == "RUN" and "-c infra/constraints.txt" in args
    ]
    return install


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_the_image_installs_what_make_run_installs(dockerfile: Path) -> None:
    """The Makefile's runtime install (`make run`) is the one known to work: every project
    it installs in place (the farm, the SDK that broker.cli mounts) is copied and installed
    in place here too, the same way."""
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^\$\(RUN_STAMP\):.*?\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe is not None
    (line,) = [ln for ln in recipe.group(1).splitlines() if "pip install" in ln]
    editables = re.findall(r"-e (\S+)", line)
    assert editables and "--config-settings editable_mode=compat" in line
    install = _project_install(dockerfile)
    assert "--config-settings editable_mode=compat" in install
    copied = {
        args.split()[0] for kind, args in dockerfile_instructions(dockerfile) if kind == "COPY"
    }
    for editable in editables:
        assert f"-e {editable} " in install + " ", editable
        folder = editable.removeprefix("./")
        assert folder == "." or folder in copied, editable


def test_constraints_pin_every_runtime_dependency() -> None:
    """The images install pyproject's dependencies under infra/constraints.txt: each one must
    be pinned there, or an image would get whatever PyPI has that day."""

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        norm(re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0]) for dep in pyproject["dependencies"]
    }
    pinned = {
        norm(line.split("==")[0])
        for line in (INFRA / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    assert wanted <= pinned, sorted(wanted - pinned)
    assert f"ray=={ray.__version__}" in (INFRA / "constraints.txt").read_text().splitlines()


def test_blender_is_the_makefiles() -> None:
    makefile = (ROOT / "Makefile").read_text()
    pin = re.search(r"^BLENDER_PIP := (\S+)$", makefile, re.M)
    assert pin is not None
    for dockerfile in DOCKERFILES:
        assert f"/app/.venv-blender/bin/pip install {pin.group(1)}" in dockerfile.read_text()


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_runs_as_a_numeric_non_root_user_with_a_healthcheck(dockerfile: Path) -> None:
    instructions = dockerfile_instructions(dockerfile)
    users = [args for kind, args in instructions if kind == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*:[1-9]\d*", users[-1]), users
    # nothing after the last USER switches back
    assert instructions.index(("USER", users[-1])) > max(
        i for i, (kind, _) in enumerate(instructions) if kind == "RUN"
    )
    checks = [args for kind, args in instructions if kind == "HEALTHCHECK"]
    assert len(checks) == 1 and "CMD [" in checks[0]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_settings_in_the_images_are_real(dockerfile: Path) -> None:
    names = [
        name
        for kind, args in dockerfile_instructions(dockerfile)
        if kind == "ENV"
        for name in re.findall(r"(\w+)=", args)
    ]
    assert "MESHFARM_DATA_DIR" in names
    assert unknown_settings(names) == []


def test_default_commands_parse() -> None:
    def cmd(dockerfile: Path) -> list[str]:
        (args,) = [a for kind, a in dockerfile_instructions(dockerfile) if kind == "CMD"]
        parsed: list[str] = json.loads(args)
        return parsed

    assert parse_meshfarm(cmd(BROKER)) == ["serve"]
    assert parse_ray_start(cmd(WORKER))["block"] is True


def test_the_worker_prefers_nvidia_egl_and_falls_back_to_mesa() -> None:
    text = WORKER.read_text()
    assert '"library_path": "libEGL_nvidia.so.0"' in text
    assert "/usr/share/glvnd/egl_vendor.d/10_nvidia.json" in text  # before Mesa's 50_mesa.json
    assert re.search(r"\blibegl-mesa0\b", text) and re.search(r"\bffmpeg\b", text)
    env = " ".join(a for kind, a in dockerfile_instructions(WORKER) if kind == "ENV")
    assert "MUJOCO_GL=egl" in env
    assert "NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics,video" in env


def _renderer_with_vendors(vendor_files: list[Path]) -> subprocess.CompletedProcess[str]:
    """GL_RENDERER of an EGL context made with only these glvnd vendor files, in a process
    of its own (one EGL context per process, as the workers have)."""
    probe = (
        "import moderngl\n"
        "ctx = moderngl.create_standalone_context(require=330, backend='egl')\n"
        "print(ctx.info['GL_RENDERER'])\n"
    )
    env = {**os.environ, "__EGL_VENDOR_LIBRARY_FILENAMES": ":".join(map(str, vendor_files))}
    return subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120
    )


def test_the_worker_egl_vendors_fall_back_to_mesa_where_nvidia_is_absent(tmp_path: Path) -> None:
    """The image's own 10_nvidia.json ahead of Mesa's, as glvnd reads them there: on a
    machine without NVIDIA's libEGL the context comes from Mesa (llvmpipe here); with the
    NVIDIA file alone there is no EGL device at all, so the file is really consulted."""
    written = re.search(r"printf '(\{.*?\})\\n'\s*\\?\s*> (\S+10_nvidia\.json)", WORKER.read_text())
    assert written is not None
    nvidia = tmp_path / "10_nvidia.json"
    nvidia.write_text(written.group(1))
    mesa = Path("/usr/share/glvnd/egl_vendor.d/50_mesa.json")
    if not mesa.is_file():
        pytest.skip("Mesa's EGL (libegl-mesa0) is not installed")
    if ctypes.util.find_library("EGL_nvidia") is not None:
        pytest.skip("this machine has NVIDIA's EGL: the fallback cannot be seen here")
    both = _renderer_with_vendors([nvidia, mesa])
    assert both.returncode == 0, both.stderr
    assert "llvmpipe" in both.stdout
    alone = _renderer_with_vendors([nvidia])
    assert alone.returncode != 0
