"""k8s/: every manifest and both overlays' kustomize output validate at the pinned
Kubernetes release (strict), the RayCluster against KubeRay's CRD schema, and what they run
is what meshfarm and Ray accept."""

from __future__ import annotations

import copy
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from deploy_files import (
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    CommandRejected,
    containers,
    kustomization_resources,
    kustomize,
    load_documents,
    parse_meshfarm,
    parse_ray_start,
    ray_start_params_argv,
    unknown_settings,
    validate_resource,
)

ROOT = K8S.parent
MANIFESTS = sorted(
    {path for overlay in OVERLAYS for path in kustomization_resources(K8S / "overlays" / overlay)}
)


@pytest.fixture(scope="module", params=OVERLAYS)
def built(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, kustomize(K8S / "overlays" / request.param)


def _one(resources: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(K8S)))
def test_every_manifest_validates(path: Path) -> None:
    documents = load_documents(path)
    assert documents
    for resource in documents:
        validate_resource(resource)


def test_every_file_in_k8s_is_a_resource_or_a_patch_of_an_overlay() -> None:
    """No manifest lies beside the kustomizations unvalidated."""
    listed = set(MANIFESTS)
    for overlay in OVERLAYS:
        spec = yaml.safe_load((K8S / "overlays" / overlay / "kustomization.yaml").read_text())
        listed |= {(K8S / "overlays" / overlay / p["path"]).resolve() for p in spec["patches"]}
    files = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert files == listed, files ^ listed


def test_each_overlay_builds_and_validates(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    kinds = {r["kind"] for r in resources}
    assert {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "Ingress",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "RayCluster",
    } <= kinds
    for resource in resources:
        validate_resource(resource)
        assert resource["kind"] == "Namespace" or resource["metadata"]["namespace"] == "meshfarm"


def _base_raycluster() -> dict[str, Any]:
    return _one(load_documents(K8S / "base" / "raycluster.yaml"), "RayCluster", "meshfarm-fleet")


def _group(index: int) -> Any:
    return lambda rc: rc["spec"]["workerGroupSpecs"][index]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda rc: _group(0)(rc).update(minReplica=0), "'minReplica' was unexpected"),
        (lambda rc: _group(0)(rc).update(maxReplicas="8"), "'8' is not of type 'integer'"),
        (lambda rc: rc["spec"]["autoscalerOptions"].update(idleTimeout=5), "'idleTimeout'"),
        (lambda rc: _group(1)(rc).pop("groupName"), "'groupName' is a required property"),
    ],
    ids=["unknown group field", "text count", "unknown autoscaler option", "no group name"],
)
def test_a_broken_raycluster_fails_the_crd_schema(change: Any, reason: str) -> None:
    broken = _base_raycluster()
    change(broken)
    with pytest.raises(jsonschema.ValidationError, match=re.escape(reason)):
        validate_resource(broken)


def test_a_broken_pod_template_in_the_raycluster_fails() -> None:
    broken = _base_raycluster()
    broken["spec"]["workerGroupSpecs"][0]["template"]["spec"]["containers"][0]["gpus"] = 1
    with pytest.raises(jsonschema.ValidationError, match="'gpus' was unexpected"):
        validate_resource(broken)


def test_a_broken_deployment_fails_kubernetes_validate() -> None:
    (deployment, *_) = load_documents(K8S / "base" / "broker-api.yaml")
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["envFrom"][0]["configMap"] = {"name": "x"}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_resource(broken)
    assert KUBERNETES_VERSION.startswith("1.32")


def test_kustomize_refuses_an_overlay_whose_patch_misses(tmp_path: Path) -> None:
    """The overlays' JSON patches `test` the group they change: a reordered base fails the
    build instead of losing the wrong group."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "patch.yaml").write_text(
        "- {op: test, path: /spec/workerGroupSpecs/0/groupName, value: cpu-heavy}\n"
        "- {op: remove, path: /spec/workerGroupSpecs/0}\n"
    )
    base = os.path.relpath(K8S / "base", overlay)
    (overlay / "kustomization.yaml").write_text(
        f"resources: [{base}]\n"
        "patches:\n  - path: patch.yaml\n"
        "    target: {group: ray.io, version: v1, kind: RayCluster, name: meshfarm-fleet}\n"
    )
    with pytest.raises(subprocess.CalledProcessError) as failed:
        kustomize(overlay)
    assert "test" in failed.value.stderr.lower()


def _groups(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    fleet = _one(resources, "RayCluster", "meshfarm-fleet")
    return {g["groupName"]: g for g in fleet["spec"].get("workerGroupSpecs", [])}


def test_dev_is_cpu_only() -> None:
    resources = kustomize(K8S / "overlays" / "dev")
    assert set(_groups(resources)) == {"cpu-heavy"}
    assert "nvidia.com/gpu" not in yaml.safe_dump_all(resources)
    config = _one(resources, "ConfigMap", "meshfarm-config")["data"]
    assert int(config["MESHFARM_WORKERS"]) >= 1  # render actors on llvmpipe


def test_prod_has_gpu_renderers_that_scale_from_zero_and_a_cpu_group() -> None:
    resources = kustomize(K8S / "overlays" / "prod")
    fleet = _one(resources, "RayCluster", "meshfarm-fleet")
    assert fleet["spec"]["enableInTreeAutoscaling"] is True
    groups = _groups(resources)
    gpu, cpu = groups["gpu-render"], groups["cpu-heavy"]
    assert gpu["minReplicas"] == 0 and gpu["maxReplicas"] > 0
    (render,) = gpu["template"]["spec"]["containers"]
    assert render["resources"]["limits"]["nvidia.com/gpu"] == "1"
    env = {e["name"]: e.get("value") for e in render.get("env", [])}
    assert "graphics" in env["NVIDIA_DRIVER_CAPABILITIES"].split(",")
    assert parse_ray_start(ray_start_params_argv(gpu["rayStartParams"]))["num_gpus"] == 1
    assert "nvidia.com/gpu" not in yaml.safe_dump(cpu)
    assert parse_ray_start(ray_start_params_argv(cpu["rayStartParams"]))["num_gpus"] == 0


def _env_names(resources: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for resource in resources:
        if resource["kind"] in ("ConfigMap", "Secret"):
            names += list(resource.get("data", {})) + list(resource.get("stringData", {}))
        for container in containers(resource):
            names += [e["name"] for e in container.get("env", [])]
    return names


def test_settings_are_real(built: tuple[str, list[dict[str, Any]]]) -> None:
    _, resources = built
    names = _env_names(resources)
    assert "MESHFARM_STORAGE_URL" in names
    assert unknown_settings(names) == []


def test_a_misspelt_setting_in_a_configmap_is_caught() -> None:
    resources = load_documents(K8S / "base" / "configmap.yaml")
    resources[0]["data"]["MESHFARM_CPU_WORKER"] = "2"
    assert unknown_settings(_env_names(resources)) == ["MESHFARM_CPU_WORKER"]


def test_commands_are_the_real_ones(built: tuple[str, list[dict[str, Any]]]) -> None:
    """The broker pods run `meshfarm serve` as the CLI parses it; the Ray groups' start
    parameters are options of the `ray start` KubeRay makes of them."""
    _, resources = built
    api = _one(resources, "Deployment", "meshfarm-api")
    dispatcher = _one(resources, "Deployment", "meshfarm-dispatcher")
    (api_container,) = api["spec"]["template"]["spec"]["containers"]
    (dispatcher_container,) = dispatcher["spec"]["template"]["spec"]["containers"]
    assert parse_meshfarm(api_container["args"]) == ["serve"]
    assert parse_meshfarm(dispatcher_container["args"]) == ["serve"]
    # The API replicas have no job slots; the one dispatcher drives the Ray fleet.
    args = api_container["args"]
    assert args[args.index("--workers") + 1] == "0"
    assert {"name": "MESHFARM_CPU_WORKERS", "value": "0"} in api_container["env"]
    assert "--executor" not in args
    args = dispatcher_container["args"]
    assert args[args.index("--executor") + 1] == "ray"
    fleet = _one(resources, "RayCluster", "meshfarm-fleet")
    head = fleet["spec"]["headGroupSpec"]
    ports = {p["name"]: p["containerPort"] for p in containers(fleet)[0]["ports"]}
    assert args[args.index("--ray-address") + 1] == (
        f"ray://{fleet['metadata']['name']}-head-svc:{ports['client']}"
    )
    assert dispatcher["spec"]["replicas"] == 1
    assert dispatcher["spec"]["strategy"]["type"] == "Recreate"
    parse_ray_start([*ray_start_params_argv(head["rayStartParams"]), "--head", "--block"])
    for group in fleet["spec"].get("workerGroupSpecs", []):
        parse_ray_start([*ray_start_params_argv(group["rayStartParams"]), "--block"])


def test_a_wrong_start_parameter_is_caught() -> None:
    with pytest.raises(CommandRejected):
        parse_ray_start(ray_start_params_argv({"num-gpu": "1"}))
    with pytest.raises(CommandRejected):
        parse_meshfarm(["meshfarm", "worker", "start"])


def _secret_refs(resources: list[dict[str, Any]]) -> set[tuple[str, str | None]]:
    """(Secret, key) pairs the resources read; key None for a whole Secret (envFrom)."""
    refs: set[tuple[str, str | None]] = set()
    for resource in resources:
        for container in containers(resource):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    refs.add((source["secretRef"]["name"], None))
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
        auth = (
            resource.get("spec", {}).get("authOptions")
            if resource["kind"] == "RayCluster"
            else None
        )
        if auth and auth.get("mode") == "token":
            refs.add((auth["secretName"], "auth_token"))
    return refs


def test_dev_has_every_secret_it_reads() -> None:
    resources = kustomize(K8S / "overlays" / "dev")
    secrets = {
        r["metadata"]["name"]: set(r.get("stringData", {})) | set(r.get("data", {}))
        for r in resources
        if r["kind"] == "Secret"
    }
    for name, key in _secret_refs(resources):
        assert name in secrets, name
        assert key is None or key in secrets[name], (name, key)


def test_prod_secrets_are_the_documented_ones() -> None:
    """prod ships no Secret: docs/deployment.md creates them. It must name every Secret and
    key that prod reads, and the dev overlay's (the example) must hold the same keys."""
    prod = kustomize(K8S / "overlays" / "prod")
    assert not [r for r in prod if r["kind"] == "Secret"]
    dev_secrets = {
        r["metadata"]["name"]: set(r["stringData"])
        for r in kustomize(K8S / "overlays" / "dev")
        if r["kind"] == "Secret"
    }
    assert {name for name, _ in _secret_refs(prod)} == set(dev_secrets)
    docs = (ROOT / "docs" / "deployment.md").read_text()
    for name, keys in dev_secrets.items():
        command = re.search(rf"create secret generic {name}\b(.*?)(?:\n\n|```)", docs, re.S)
        assert command is not None, name
        documented = set(re.findall(r"--from-literal=(\w+)=", command.group(1)))
        assert documented == keys, (name, documented ^ keys)


def test_images_are_tagged_and_pods_run_unprivileged(
    built: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = built
    for resource in resources:
        for container in containers(resource):
            image = container["image"]
            assert re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), image
            assert container["resources"]["requests"], container["name"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
        if resource["kind"] in ("Deployment", "StatefulSet"):
            assert resource["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]


def test_statefulsets_keep_their_data_on_volume_claims(
    built: tuple[str, list[dict[str, Any]]],
) -> None:
    _, resources = built
    for name, mount in (("postgres", "/var/lib/postgresql/data"), ("minio", "/data")):
        stateful = _one(resources, "StatefulSet", name)
        (claim,) = stateful["spec"]["volumeClaimTemplates"]
        (container,) = containers(stateful)
        assert {"name": claim["metadata"]["name"], "mountPath": mount} in container["volumeMounts"]
        _one(resources, "Service", stateful["spec"]["serviceName"])


def test_every_command_a_container_runs_is_a_real_one(
    built: tuple[str, list[dict[str, Any]]],
) -> None:
    """Whatever a container is told to run: meshfarm's commands parse with its CLI (there
    is no `meshfarm worker start`: Ray nodes are `ray start`, which KubeRay writes from
    rayStartParams), `ray start` with Ray's, inline Python compiles; anything else is the
    image's own program."""
    _, resources = built
    seen = 0
    for resource in resources:
        for container in containers(resource):
            argv = [*container.get("command", []), *container.get("args", [])]
            if argv[:1] == ["meshfarm"]:
                parse_meshfarm(argv)
                seen += 1
            elif argv[:2] == ["ray", "start"]:
                parse_ray_start(argv)
                seen += 1
            elif argv[:2] == ["python", "-c"]:
                compile(argv[2], container["name"], "exec")
            else:
                assert not argv or container["image"].startswith("minio/"), argv
    assert seen >= 2


def test_prod_dispatcher_waits_for_the_gpu_pods_it_will_use() -> None:
    """Started before the GPU pods are up, the dispatcher would make its render actors
    without GPUs; prod's makes it wait for as many GPUs as the group starts with."""
    resources = kustomize(K8S / "overlays" / "prod")
    dispatcher = _one(resources, "Deployment", "meshfarm-dispatcher")
    (wait,) = dispatcher["spec"]["template"]["spec"]["initContainers"]
    env = {e["name"]: e.get("value") for e in wait["env"]}
    (broker,) = dispatcher["spec"]["template"]["spec"]["containers"]
    assert env["FLEET_ADDRESS"] == broker["args"][broker["args"].index("--ray-address") + 1]
    assert wait["image"] == broker["image"]
    gpu = _groups(resources)["gpu-render"]
    assert 0 < int(env["FLEET_GPUS"]) <= gpu["replicas"] <= gpu["maxReplicas"]
    assert gpu["minReplicas"] == 0
    assert {"name": "RAY_AUTH_MODE", "value": "token"} in wait["env"]
    compile(wait["command"][2], "wait-for-gpus", "exec")
