"""The deployment files as the tests read them, and the real tools that judge them.

Every check here asks the tool a user's machine would ask — hadolint, kubernetes-validate's
schemas of one pinned Kubernetes release, KubeRay's own CRD schema, kustomize, the Ray and
meshfarm command lines — never a copy of what they accept.
"""

from __future__ import annotations

import copy
import functools
import json
import shlex
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import typer.main
import yaml

from workers.config import Settings

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
K8S = ROOT / "k8s"
OVERLAYS = ("dev", "prod")
DOCKERFILES = (INFRA / "broker.Dockerfile", INFRA / "worker.Dockerfile")
COMPOSE_FILES = (INFRA / "compose.yaml", INFRA / "compose.cpu.yaml")
KUBERNETES_VERSION = "1.32.0"
"""The Kubernetes release every manifest is validated against (kubectl 1.32 here too)."""
RAYCLUSTER_SCHEMA = Path(__file__).parent / "schemas" / "ray.io_rayclusters.v1.schema.json"
ENV_PREFIX = "MESHFARM_"


def setting_names() -> set[str]:
    """The environment variables the one Settings class reads."""
    return {ENV_PREFIX + name.upper() for name in Settings.model_fields}


def unknown_settings(names: Iterable[str]) -> list[str]:
    """The MESHFARM_* names among ``names`` that no Settings field reads (a typo there is
    silently ignored by the farm, so it is a defect here)."""
    known = setting_names()
    return sorted(n for n in names if n.startswith(ENV_PREFIX) and n not in known)


def load_documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


# --- Kubernetes ---------------------------------------------------------------------------


def kustomize(target: Path) -> list[dict[str, Any]]:
    """``kubectl kustomize TARGET``'s resources; CalledProcessError (with kustomize's message
    on stderr) when it does not build."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RuntimeError("kubectl is not installed (make install puts Debian's there)")
    done = subprocess.run(
        [kubectl, "kustomize", str(target)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [d for d in yaml.safe_load_all(done.stdout) if d is not None]


def kustomization_resources(directory: Path) -> list[Path]:
    """The files a kustomization lists as resources (not other kustomizations), recursively."""
    spec = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files: list[Path] = []
    for entry in spec.get("resources", []):
        path = (directory / entry).resolve()
        files += kustomization_resources(path) if path.is_dir() else [path]
    return files


@functools.cache
def _raycluster_validator() -> jsonschema.Draft4Validator:
    """KubeRay's schema, strict. Draft 4 is the JSON Schema that OpenAPI v3's schema objects
    (a CRD's) derive from; the ``x-kubernetes-*`` keywords are ignored by it."""
    schema = _strict(json.loads(RAYCLUSTER_SCHEMA.read_text()))
    return jsonschema.Draft4Validator(schema)


def _strict(node: Any) -> Any:
    """The CRD schema with unknown fields refused, as the API server's strict field
    validation (kubectl's default) refuses them; a CRD schema alone would let them pass."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def validate_resource(resource: dict[str, Any]) -> None:
    """Raise when ``resource`` is not valid: built-in kinds against Kubernetes
    KUBERNETES_VERSION's schemas (strict), RayClusters against KubeRay's CRD schema (strict,
    with its pod templates also checked as Kubernetes PodTemplateSpecs). Any other kind has
    no schema here, which is an error too: nothing passes unchecked."""
    if resource.get("apiVersion") == "ray.io/v1" and resource.get("kind") == "RayCluster":
        _raycluster_validator().validate(resource)
        for template in raycluster_pod_templates(resource):
            pod_template = {
                "apiVersion": "v1",
                "kind": "PodTemplate",
                "metadata": {"name": "check"},
                "template": template,
            }
            kubernetes_validate.validate(pod_template, KUBERNETES_VERSION, strict=True)
        return
    kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def raycluster_pod_templates(resource: dict[str, Any]) -> list[dict[str, Any]]:
    spec = resource["spec"]
    groups = [spec["headGroupSpec"], *spec.get("workerGroupSpecs", [])]
    return [copy.deepcopy(group["template"]) for group in groups]


def containers(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """Every container (init ones too) of a workload or a RayCluster."""
    if resource["kind"] == "RayCluster":
        templates = raycluster_pod_templates(resource)
    elif "template" in resource.get("spec", {}):
        templates = [resource["spec"]["template"]]
    else:
        return []
    found: list[dict[str, Any]] = []
    for template in templates:
        pod = template["spec"]
        found += pod.get("initContainers", []) + pod["containers"]
    return found


# --- command lines ------------------------------------------------------------------------


class CommandRejected(ValueError):
    """A command line that its program's own parser refuses (unknown command or option)."""


def _parsed(parse: Any, argv: list[str]) -> Any:
    try:
        return parse()
    except Exception as exc:  # click's, or the copy of click that Typer vendors
        if hasattr(exc, "format_message"):
            raise CommandRejected(f"{shlex.join(argv)}: {exc.format_message()}") from exc
        raise


def parse_meshfarm(argv: list[str]) -> list[str]:
    """Parse ``meshfarm ARGS…`` with the real command line (broker.cli), without running
    it; returns the sub-command path. CommandRejected for an unknown command or option."""
    from broker.cli import app

    assert argv[0] == "meshfarm", argv

    def parse() -> list[str]:
        command: Any = typer.main.get_command(app)
        ctx = command.make_context("meshfarm", list(argv[1:]))
        path: list[str] = []
        while hasattr(command, "resolve_command"):  # a group: walk down to the command
            # click ≥ 8.2 keeps the sub-command's name in _protected_args (the public alias
            # is deprecated); older ones only in protected_args.
            protected = getattr(ctx, "_protected_args", None)
            rest = [*(ctx.protected_args if protected is None else protected), *ctx.args]
            if not rest:
                raise CommandRejected(f"{shlex.join(argv)}: no sub-command")
            name, command, rest = command.resolve_command(ctx, rest)
            path.append(name)
            ctx = command.make_context(name, rest, parent=ctx)
        return path

    result: list[str] = _parsed(parse, argv)
    return result


def parse_ray_start(argv: list[str]) -> dict[str, Any]:
    """Parse ``ray start ARGS…`` with Ray's own click command (the Ray the farm runs),
    without starting anything; returns the parsed options. CommandRejected when Ray
    refuses them."""
    from ray.scripts.scripts import start

    assert argv[:2] == ["ray", "start"], argv
    params: dict[str, Any] = _parsed(
        lambda: dict(start.make_context("ray start", list(argv[2:])).params), argv
    )
    return params


def ray_start_params_argv(params: dict[str, str]) -> list[str]:
    """The ``ray start`` KubeRay makes of a group's rayStartParams (``--key=value`` each)."""
    return ["ray", "start", *(f"--{key}={value}" for key, value in params.items())]


# --- Dockerfiles and compose files --------------------------------------------------------


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments out."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pending = f"{pending} {line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip()
            continue
        keyword, _, rest = pending.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def compose_services(path: Path) -> dict[str, dict[str, Any]]:
    """A compose file's services with their ``extends`` resolved the way Compose merges
    them: the extending service's keys win, environment maps are merged."""
    services: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text())["services"]
    resolved = {}
    for name, service in services.items():
        service = copy.deepcopy(service)
        extends = service.pop("extends", None)
        if extends is not None:
            base = compose_services(path.parent / extends["file"])[extends["service"]]
            merged = {**base, **service}
            if "environment" in base or "environment" in service:
                merged["environment"] = {
                    **base.get("environment", {}),
                    **service.get("environment", {}),
                }
            service = merged
        resolved[name] = service
    return resolved
