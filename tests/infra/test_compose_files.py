"""infra/compose.yaml (NVIDIA GPU) and infra/compose.cpu.yaml (Mesa llvmpipe): what Compose
itself says of them where it is installed, and what they start, read as Compose reads them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_files import (
    COMPOSE_FILES,
    INFRA,
    ROOT,
    compose_services,
    dockerfile_instructions,
    parse_meshfarm,
    parse_ray_start,
    unknown_settings,
)

GPU, CPU = COMPOSE_FILES
SERVICES = {"postgres", "minio", "ray-head", "ray-worker", "broker"}


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy is not None else None


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_compose_accepts_the_file(path: Path) -> None:
    compose = _compose_command()
    if compose is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    done = subprocess.run(
        [*compose, "-f", str(path), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    compose = _compose_command()
    if compose is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  broker:\n    image: x:1\n    depends_on: {nobody: {}}\n")
    done = subprocess.run(
        [*compose, "-f", str(broken), "config", "--quiet"], capture_output=True, timeout=60
    )
    assert done.returncode != 0


@pytest.fixture(params=COMPOSE_FILES, ids=lambda p: p.name)
def services(request: pytest.FixtureRequest) -> tuple[Path, dict[str, dict[str, Any]]]:
    return request.param, compose_services(request.param)


def test_the_farm_is_all_there(services: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    _, found = services
    assert set(found) == SERVICES


def test_every_image_is_pinned_or_built_here(
    services: tuple[Path, dict[str, dict[str, Any]]],
) -> None:
    path, found = services
    for name, service in found.items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), (name, image)
        if "build" in service:
            context = (path.parent / service["build"]["context"]).resolve()
            assert context == ROOT
            assert (context / service["build"]["dockerfile"]).is_file()


def test_settings_are_real_and_the_stores_are_the_services(
    services: tuple[Path, dict[str, dict[str, Any]]],
) -> None:
    _, found = services
    for service in found.values():
        assert unknown_settings(service.get("environment", {})) == []
    env = found["broker"]["environment"]
    assert "@postgres:5432/" in env["MESHFARM_DATABASE_URL"]
    assert env["MESHFARM_S3_ENDPOINT"] == "minio:9000"
    assert env["MESHFARM_STORAGE_URL"].startswith("s3://")
    assert env["MESHFARM_S3_ACCESS_KEY"] == found["minio"]["environment"]["MINIO_ROOT_USER"]
    assert env["MESHFARM_S3_SECRET_KEY"] == found["minio"]["environment"]["MINIO_ROOT_PASSWORD"]
    assert (
        f":{found['postgres']['environment']['POSTGRES_PASSWORD']}@" in env["MESHFARM_DATABASE_URL"]
    )


def test_unknown_settings_are_caught() -> None:
    """The check above can fail: a misspelt setting (ignored by the farm) is named."""
    assert unknown_settings({"MESHFARM_DATABASE_URL": "x", "MESHFARM_S3_ENPOINT": "y"}) == [
        "MESHFARM_S3_ENPOINT"
    ]


def _image_has_healthcheck(service: dict[str, Any]) -> bool:
    if "healthcheck" in service:
        return True
    if "build" not in service:
        return False
    dockerfile = ROOT / service["build"]["dockerfile"]
    return any(kind == "HEALTHCHECK" for kind, _ in dockerfile_instructions(dockerfile))


def test_start_order_waits_for_health(services: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    _, found = services
    assert set(found["broker"]["depends_on"]) == {"postgres", "minio", "ray-worker"}
    assert set(found["ray-worker"]["depends_on"]) == {"ray-head"}
    for name, service in found.items():
        for target, condition in service.get("depends_on", {}).items():
            assert condition == {"condition": "service_healthy"}, (name, target)
            assert _image_has_healthcheck(found[target]), target


def test_volumes_are_declared(services: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    path, found = services
    declared = set(yaml.safe_load(path.read_text())["volumes"])
    used = {
        volume.split(":")[0]
        for service in found.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert used == declared
    for name in ("postgres", "minio", "broker", "ray-worker"):
        assert found[name]["volumes"], name


def test_commands_are_the_real_ones(services: tuple[Path, dict[str, dict[str, Any]]]) -> None:
    """The broker's `meshfarm serve` and the Ray nodes' `ray start` parse with those
    programs' own command lines, and point at each other."""
    _, found = services
    head = parse_ray_start(found["ray-head"]["command"])
    worker = parse_ray_start(found["ray-worker"]["command"])
    assert head["head"] and head["block"] and head["num_cpus"] == 0
    assert worker["block"] and worker["address"] == f"ray-head:{head['port']}"
    serve = found["broker"]["command"]
    assert parse_meshfarm(serve) == ["serve"]
    assert serve[serve.index("--executor") + 1] == "ray"
    assert serve[serve.index("--ray-address") + 1] == (
        f"ray://ray-head:{head['ray_client_server_port']}"
    )


def test_every_ray_process_has_the_same_token(
    services: tuple[Path, dict[str, dict[str, Any]]],
) -> None:
    _, found = services
    tokens = {
        name: (
            found[name]["environment"]["RAY_AUTH_MODE"],
            found[name]["environment"]["RAY_AUTH_TOKEN"],
        )
        for name in ("ray-head", "ray-worker", "broker")
    }
    assert len(set(tokens.values())) == 1 and next(iter(tokens.values()))[0] == "token"


def test_the_gpu_worker_reserves_an_nvidia_gpu_for_egl() -> None:
    worker = compose_services(GPU)["ray-worker"]
    (device,) = worker["deploy"]["resources"]["reservations"]["devices"]
    assert device == {"driver": "nvidia", "count": 1, "capabilities": ["gpu", "graphics", "video"]}
    assert "graphics" in worker["environment"]["NVIDIA_DRIVER_CAPABILITIES"].split(",")
    assert parse_ray_start(worker["command"])["num_gpus"] == 1


def test_the_cpu_variant_asks_for_no_gpu_and_renders_on_mesa() -> None:
    found = compose_services(CPU)
    assert all("deploy" not in service for service in found.values())
    worker = found["ray-worker"]
    assert parse_ray_start(worker["command"])["num_gpus"] == 0
    assert worker["environment"]["__EGL_VENDOR_LIBRARY_FILENAMES"].endswith("50_mesa.json")
    # Without GPUs the broker runs MESHFARM_WORKERS render actors on the CPUs.
    assert int(found["broker"]["environment"]["MESHFARM_WORKERS"]) >= 1


def test_services_file_is_only_extended() -> None:
    """compose.services.yaml holds no start order of its own (Compose cannot extend one)."""
    shared = yaml.safe_load((INFRA / "compose.services.yaml").read_text())["services"]
    assert all("depends_on" not in service for service in shared.values())
