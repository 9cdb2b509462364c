"""Credentials in the Kubernetes overlays: each service's URLs carry its own role and user,
with the very password the engines are given, from one source."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
SERVICES = ("identity", "certification", "vehicles", "subscriptions", "billing", "notifications")


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize render cannot be checked here")
    result = subprocess.run(
        [kubectl, "kustomize", str(OVERLAYS / overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def secret_data(docs: list[dict[str, Any]], name: str) -> dict[str, str]:
    (secret,) = [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == name]
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


@pytest.fixture(scope="module")
def development() -> list[dict[str, Any]]:
    return render("development")


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return render("production")


@pytest.mark.parametrize("service", SERVICES)
def test_development_urls_carry_the_engines_passwords(
    development: list[dict[str, Any]], service: str
) -> None:
    env = secret_data(development, f"{service}-env")
    database = urlsplit(env["DATABASE_URL"])
    role = secret_data(development, f"parking-db-{service}")
    assert (
        (database.username, unquote(database.password or ""))
        == (role["username"], role["password"])
        == (
            service,
            role["password"],
        )
    )
    assert database.hostname == "parking-db-rw" and database.path == f"/parking_{service}"
    broker = urlsplit(env["AMQP_URL"])
    user = secret_data(development, f"parking-broker-{service}")
    assert (broker.username, unquote(broker.password or "")) == (user["username"], user["password"])
    assert broker.username == service and broker.hostname == "parking-broker"


def test_development_passwords_differ_between_services(development: list[dict[str, Any]]) -> None:
    passwords = [secret_data(development, f"parking-db-{s}")["password"] for s in SERVICES]
    passwords += [secret_data(development, f"parking-broker-{s}")["password"] for s in SERVICES]
    assert len(set(passwords)) == len(passwords)


def external_secret(docs: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == "ExternalSecret" and d["spec"]["target"]["name"] == name]
    return found["spec"]


def source_of(spec: dict[str, Any], key: str) -> tuple[str, str]:
    (ref,) = [d["remoteRef"] for d in spec["data"] if d["secretKey"] == key]
    return ref["key"], ref["property"]


@pytest.mark.parametrize("service", SERVICES)
def test_production_urls_and_engines_read_one_password_per_service(
    production: list[dict[str, Any]], service: str
) -> None:
    env = external_secret(production, f"{service}-env")
    template = env["target"]["template"]["data"]
    assert template["DATABASE_URL"] == (
        f"postgresql+asyncpg://{service}:{{{{ .DB_PASSWORD | urlquery }}}}@parking-db-rw:5432/parking_{service}"
    )
    assert (
        template["AMQP_URL"] == f"amqp://{service}:{{{{ .AMQP_PASSWORD | urlquery }}}}@parking-broker:5672/"
    )
    role = external_secret(production, f"parking-db-{service}")
    assert role["target"]["template"]["data"]["username"] == service
    assert (
        source_of(role, "password")
        == source_of(env, "DB_PASSWORD")
        == (f"parking-caserta/{service}", "DB_PASSWORD")
    )
    user = external_secret(production, f"parking-broker-{service}")
    assert user["target"]["template"]["data"]["username"] == service
    assert (
        source_of(user, "password")
        == source_of(env, "AMQP_PASSWORD")
        == (
            f"parking-caserta/{service}",
            "AMQP_PASSWORD",
        )
    )


def test_client_address_secret_is_one_value_for_portal_and_identity_only(
    production: list[dict[str, Any]], development: list[dict[str, Any]]
) -> None:
    # The portal signs, identity verifies (for itself and for the gateway's forwardAuth).
    sources = {
        source_of(external_secret(production, n), "CLIENT_ADDRESS_SECRET")
        for n in ("identity-env", "portal-env")
    }
    assert sources == {("parking-caserta/shared", "CLIENT_ADDRESS_SECRET")}
    values = {secret_data(development, n)["CLIENT_ADDRESS_SECRET"] for n in ("identity-env", "portal-env")}
    assert len(values) == 1
    holders = {
        d["metadata"]["name"]
        for d in development
        if d["kind"] == "Secret" and "CLIENT_ADDRESS_SECRET" in {*d.get("data", {}), *d.get("stringData", {})}
    } | {
        d["metadata"]["name"]
        for d in production
        if d["kind"] == "ExternalSecret"
        and "CLIENT_ADDRESS_SECRET" in d["spec"]["target"]["template"]["data"]
    }
    assert holders == {"identity-env", "portal-env"}


def test_connections_at_every_autoscaler_maximum_fit_the_database(production: list[dict[str, Any]]) -> None:
    from kit.settings import ServiceSettings

    pool_size = ServiceSettings.model_fields["db_pool_size"].default
    # pool + max_overflow (= pool_size), and the outbox relay's two: its own connection (never
    # queued behind requests) and its LISTEN.
    per_pod = 2 * pool_size + 2
    extra_listeners = {"notifications": 1}  # the mail sender's LISTEN
    (cluster,) = [d for d in production if d["kind"] == "Cluster"]
    roles = {r["name"]: r for r in cluster["spec"]["managed"]["roles"]}
    autoscalers = {
        d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "HorizontalPodAutoscaler"
    }
    deployments = {d["metadata"]["name"]: d["spec"] for d in production if d["kind"] == "Deployment"}
    needed = 0
    for service in SERVICES:
        surge = deployments[service]["strategy"]["rollingUpdate"]["maxSurge"]
        pods = autoscalers[service]["maxReplicas"] + surge
        connections = pods * (per_pod + extra_listeners.get(service, 0))
        assert roles[service]["connectionLimit"] >= connections, service
        needed += roles[service]["connectionLimit"]
    migrations = 2 * len(SERVICES)
    operator_and_reserved = 15 + 3
    max_connections = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    assert needed + migrations + operator_and_reserved <= max_connections


def test_production_archives_wal_and_backs_up_nightly_to_the_object_store(
    production: list[dict[str, Any]],
) -> None:
    (cluster,) = [d for d in production if d["kind"] == "Cluster"]
    (store,) = [d for d in production if d["kind"] == "ObjectStore"]
    (schedule,) = [d for d in production if d["kind"] == "ScheduledBackup"]
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True
    assert plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    assert schedule["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert schedule["spec"]["method"] == "plugin"
    assert schedule["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    assert len(schedule["spec"]["schedule"].split()) == 6  # CloudNativePG's cron has seconds
    credentials = store["spec"]["configuration"]["s3Credentials"]
    secret = {credentials[k]["name"] for k in ("accessKeyId", "secretAccessKey")}
    targets = {d["spec"]["target"]["name"] for d in production if d["kind"] == "ExternalSecret"}
    assert secret <= targets
    assert cluster["spec"]["instances"] == 3


def test_development_has_one_instance_and_no_backups(development: list[dict[str, Any]]) -> None:
    (cluster,) = [d for d in development if d["kind"] == "Cluster"]
    assert cluster["spec"]["instances"] == 1 and "plugins" not in cluster["spec"]
    assert not [d for d in development if d["kind"] in ("ScheduledBackup", "ObjectStore", "ExternalSecret")]
    deployments = [d for d in development if d["kind"] == "Deployment"]
    assert {d["spec"]["replicas"] for d in deployments} == {1}
    assert not [d for d in development if d["kind"] in ("HorizontalPodAutoscaler", "PodDisruptionBudget")]
    (config,) = [
        d
        for d in development
        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "parking-notifications"
    ]
    assert config["data"]["SMTP_HOST"] == "mailpit"


@pytest.mark.parametrize(
    ("overlay", "environment"), [("production", "production"), ("development", "development")]
)
def test_each_overlay_sets_its_environment_itself(overlay: str, environment: str) -> None:
    # Not inherited from the base: an overlay that forgot it would run with whatever the base
    # (or, without the ConfigMap, the image) says.
    kustomization = yaml.safe_load((OVERLAYS / overlay / "kustomization.yaml").read_text())
    (common,) = [g for g in kustomization["configMapGenerator"] if g["name"] == "parking-common"]
    assert f"ENVIRONMENT={environment}" in common["literals"]
    (rendered,) = [
        d
        for d in render(overlay)
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("parking-common")
    ]
    assert rendered["data"]["ENVIRONMENT"] == environment


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_uses_a_broker_user_of_its_own(
    development: list[dict[str, Any]], production: list[dict[str, Any]], service: str
) -> None:
    template = external_secret(production, f"{service}-env")["target"]["template"]["data"]["AMQP_URL"]
    for url in (template, secret_data(development, f"{service}-env")["AMQP_URL"]):
        assert urlsplit(url).username == service, url
