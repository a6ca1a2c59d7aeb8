"""Dockerfile, docker-compose.yml and deploy/k8s agree with the code and with each other.

No container engine or cluster runs here: these read the files and check what the code
defines (routes, settings, ports) against them.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from clipforge.api.app import create_app
from clipforge.config import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

ENV_NAME = re.compile(r"\b(CLIPFORGE_[A-Z0-9_]+|DATABASE_URL|REDIS_URL)\b")
WORKER_METRICS_PORT = "CLIPFORGE_WORKER_METRICS_PORT"


def _k8s_docs() -> list[tuple[Path, dict[str, Any]]]:
    docs = []
    for path in sorted(K8S.glob("*.y*ml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                docs.append((path, doc))
    return docs


def _one(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in _k8s_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            out.append((instruction.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def app_paths(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    app = create_app(settings)
    # Included routers are nested (not flat in app.routes): take the documented paths, plus
    # the routes added to the app itself (/metrics, out of the schema).
    documented = set(app.openapi()["paths"])
    direct = {path for r in app.routes if isinstance(path := getattr(r, "path", None), str)}
    return documented | direct


def _documented_settings() -> set[str]:
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    return names


def _containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    containers: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return containers


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    [number] = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def _env_value(workload: dict[str, Any], name: str) -> str | None:
    """A setting's value for a workload: its own env first, then the ConfigMap."""
    for container in _containers(workload):
        for item in container.get("env", []):
            if item["name"] == name:
                return str(item["value"])
    data: dict[str, str] = _one("ConfigMap", "clipforge-config")["data"]
    return data.get(name)


# --- every file parses; names are real --------------------------------------------------


def test_every_manifest_parses_and_names_itself():
    docs = _k8s_docs()
    assert docs
    for path, doc in docs:
        assert {"apiVersion", "kind"} <= set(doc), path
        if doc["kind"] != "Kustomization":
            assert doc["metadata"]["name"], path
    assert isinstance(_compose()["services"], dict)


def test_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = _one_kustomization()
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secret.example.yaml"}
    secret = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    assert secret["kind"] == "Secret" and secret["metadata"]["name"] == "clipforge-secrets"


def _one_kustomization() -> dict[str, Any]:
    [doc] = [d for _, d in _k8s_docs() if d["kind"] == "Kustomization"]
    return doc


@pytest.mark.parametrize(
    "path",
    [COMPOSE, DOCKERFILE, *sorted(K8S.glob("*.yaml"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_setting_used_is_documented(path: Path):
    used = set(ENV_NAME.findall(path.read_text()))
    undocumented = used - _documented_settings()
    assert not undocumented, f"{path.name} uses settings missing from .env.example"


def test_every_settings_name_exists_in_settings():
    """.env.example itself is the list; check the k8s/compose names map to real fields."""
    fields = {f"CLIPFORGE_{name.upper()}" for name in Settings.model_fields}
    fields |= {"DATABASE_URL", "REDIS_URL"}
    for path in [COMPOSE, DOCKERFILE, *K8S.glob("*.yaml")]:
        for name in set(ENV_NAME.findall(path.read_text())):
            assert name in fields, f"{path.name}: {name} is not a Settings field"


# --- probes, ports, resources -------------------------------------------------------------


def test_api_probes_point_at_real_routes_on_the_served_port(app_paths):
    api = _one("Deployment", "clipforge-api")
    [container] = _containers(api)
    live = container["livenessProbe"]["httpGet"]
    ready = container["readinessProbe"]["httpGet"]
    assert live["path"] == "/health/live" and live["path"] in app_paths
    assert ready["path"] == "/health/ready" and ready["path"] in app_paths
    args = container["args"]
    served = int(args[args.index("--port") + 1])
    assert _port_number(container, live["port"]) == served
    assert _port_number(container, ready["port"]) == served
    service = _one("Service", "clipforge-api")
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
    [port] = service["spec"]["ports"]
    assert _port_number(container, port["targetPort"]) == served
    assert "/metrics" in app_paths


def test_worker_probes_use_its_metrics_port_and_redis():
    worker = _one("Deployment", "clipforge-worker")
    [container] = _containers(worker)
    assert container["args"][0] == "worker"
    live = container["livenessProbe"]["httpGet"]
    assert live["path"] == "/metrics"
    metrics_port = _env_value(worker, WORKER_METRICS_PORT)
    assert metrics_port is not None
    assert _port_number(container, live["port"]) == int(metrics_port)
    readiness = " ".join(container["readinessProbe"]["exec"]["command"])
    assert "REDIS_URL" in readiness and "ping()" in readiness


def test_every_container_has_requests_and_limits():
    for _, doc in _k8s_docs():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        pod = doc["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
        for container in pod["containers"]:
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
            assert {"cpu", "memory"} <= set(resources["limits"]), container["name"]
            assert container["image"] == "clipforge"


def test_workloads_read_settings_from_the_configmap_and_secret():
    for _, doc in _k8s_docs():
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for container in _containers(doc):
            sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
            assert sources == {"clipforge-config", "clipforge-secrets"}


def test_worker_grace_period_outlasts_the_shutdown_drain():
    worker = _one("Deployment", "clipforge-worker")
    grace = worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    configured = _env_value(worker, "CLIPFORGE_WORKER_SHUTDOWN_SECONDS")
    default = Settings.model_fields["worker_shutdown_seconds"].default
    shutdown = float(configured) if configured is not None else float(default)
    assert grace > shutdown


def test_hpa_scales_the_worker_deployment_on_cpu():
    hpa = _one("HorizontalPodAutoscaler", "clipforge-worker")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "clipforge-worker")
    assert target["apiVersion"] == "apps/v1"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 10)
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    # CPU utilisation is relative to requests: the target must request CPU.
    [container] = _containers(_one("Deployment", "clipforge-worker"))
    assert container["resources"]["requests"]["cpu"]


def test_migration_job_upgrades_the_schema():
    job = _one("Job", "clipforge-migrate")
    [container] = _containers(job)
    assert container["args"] == ["db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


# --- docker compose -----------------------------------------------------------------------


def test_compose_redis_keeps_jobs():
    command = _compose()["services"]["redis"]["command"]
    words = command if isinstance(command, list) else shlex.split(command)
    assert words[words.index("--appendonly") + 1] == "yes"
    assert words[words.index("--maxmemory-policy") + 1] == "noeviction"


def test_compose_migrates_before_api_and_worker_and_waits_for_health():
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("api", "worker"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        for dep, rule in depends.items():
            if rule["condition"] == "service_healthy":
                assert "test" in services[dep]["healthcheck"], dep
        assert {"redis", "minio"} <= set(depends)
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "test" in services["postgres"]["healthcheck"]


def test_compose_settings_point_at_its_own_services():
    services = _compose()["services"]
    env = services["api"]["environment"]
    assert env == {k: v for k, v in services["worker"]["environment"].items() if k in env}
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert "@postgres:" in env["DATABASE_URL"]
    assert env["CLIPFORGE_STORAGE_BACKEND"] == "s3"
    assert "minio:9000" in env["CLIPFORGE_S3_ENDPOINT_URL"]
    assert env["CLIPFORGE_S3_BUCKET"]
    minio = services["minio"]["environment"]
    assert env["CLIPFORGE_S3_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"]
    assert env["CLIPFORGE_S3_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]


def test_compose_ports_and_worker_health_match_the_processes():
    services = _compose()["services"]
    api = services["api"]
    port = int(api["command"][api["command"].index("--port") + 1])
    assert any(str(p).endswith(f":{port}") for p in api["ports"])
    worker = services["worker"]
    metrics_port = worker["environment"][WORKER_METRICS_PORT]
    assert f":{metrics_port}/metrics" in " ".join(worker["healthcheck"]["test"])
    shutdown = float(worker["environment"]["CLIPFORGE_WORKER_SHUTDOWN_SECONDS"])
    assert int(worker["stop_grace_period"].rstrip("s")) > shutdown


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_base_user_entrypoint_and_install_order():
    steps = _dockerfile()
    assert steps[0] == ("FROM", "python:3.11-slim")
    users = [args for instruction, args in steps if instruction == "USER"]
    assert users, "the image must not run as root"
    final_user = users[-1].split(":")[0]
    assert final_user not in ("root", "0")
    runs = [args for instruction, args in steps if instruction == "RUN"]
    lock = next(i for i, r in enumerate(runs) if "-r requirements.lock" in r)
    package = next(i for i, r in enumerate(runs) if "--no-deps ." in r)
    assert lock < package
    [entrypoint] = [args for instruction, args in steps if instruction == "ENTRYPOINT"]
    assert entrypoint == '["clipforge"]'


def test_dockerfile_healthcheck_probes_a_real_route_on_the_served_port(app_paths):
    steps = _dockerfile()
    [healthcheck] = [args for instruction, args in steps if instruction == "HEALTHCHECK"]
    match = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"\s]*)", healthcheck)
    assert match, healthcheck
    port, path = int(match.group(1)), match.group(2)
    assert path in app_paths
    [cmd] = [args for instruction, args in steps if instruction == "CMD"]
    words = yaml.safe_load(cmd)  # a JSON array
    assert int(words[words.index("--port") + 1]) == port
    assert any(args == str(port) for instruction, args in steps if instruction == "EXPOSE")


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", ".env", "data"} <= ignored
    for needed in ("requirements.lock", "pyproject.toml", "README.md", "clipforge"):
        assert needed not in ignored
