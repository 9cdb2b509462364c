"""The environment each process gets from Compose and from Kubernetes, against the settings it
reads (pydantic-settings classes, env_prefix and aliases included): no required setting
missing, no variable that nothing reads (a typo, or a setting that moved). Each side of the
comparison is also shown failing on a missing and on an unknown variable."""

from __future__ import annotations

import copy
import importlib
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices, AliasPath
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SERVICES = ("identity", "certification", "vehicles", "subscriptions", "billing", "notifications")
PROCESSES = (*SERVICES, "portal", "gateway")


def settings_class(process: str) -> type[BaseSettings]:
    if process == "portal":
        return importlib.import_module("portal.settings").PortalSettings
    if process == "gateway":
        return importlib.import_module("devtools.gateway").GatewaySettings
    return importlib.import_module(f"{process}.settings").Settings


def accepted_variables(cls: type[BaseSettings]) -> tuple[set[str], set[str]]:
    """(every variable the class reads, the variables of its required fields), upper case."""
    prefix = cls.model_config.get("env_prefix", "")
    accepted: set[str] = set()
    required: set[str] = set()
    for name, field in cls.model_fields.items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            names = {c for c in alias.choices if isinstance(c, str)}
        elif isinstance(alias, str):
            names = {alias}
        elif isinstance(alias, AliasPath):
            names = {str(alias.path[0])}
        else:
            names = {f"{prefix}{name}"}
        names = {n.upper() for n in names}
        accepted |= names
        if field.is_required():
            required.add(min(names))
    return accepted, required


def problems(process: str, variables: set[str]) -> list[str]:
    accepted, required = accepted_variables(settings_class(process))
    found = [f"{process}: {v} is set but nothing reads it" for v in sorted(variables - accepted)]
    found += [f"{process}: {v} is required and not set" for v in sorted(required - variables)]
    return found


# --------------------------------------------------------------------------- kubernetes


def render(overlay: str) -> list[dict[str, Any]]:
    return copy.deepcopy(list(_render(overlay)))


@cache
def _render(overlay: str) -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize render cannot be checked here")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def secret_keys(docs: list[dict[str, Any]], name: str) -> set[str]:
    """The keys of the Secret `name` as the cluster will hold it: an ExternalSecret's template
    (or its data's secretKeys), or a Secret's data."""
    for doc in docs:
        if doc["kind"] == "ExternalSecret" and doc["spec"]["target"]["name"] == name:
            template = doc["spec"]["target"].get("template", {})
            assert "dataFrom" not in doc["spec"], f"{name}: dataFrom hides which variables it sets"
            if "data" in template:
                return set(template["data"])
            return {d["secretKey"] for d in doc["spec"]["data"]}
        if doc["kind"] == "Secret" and doc["metadata"]["name"] == name:
            return set(doc.get("data", {})) | set(doc.get("stringData", {}))
    raise AssertionError(f"no Secret {name}")


def kubernetes_environments(docs: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Process -> variables, for each container of the platform's Deployments and Jobs (a Job
    is keyed by the process it migrates). The gateway is Traefik itself: no settings class."""
    maps = {d["metadata"]["name"]: set(d.get("data", {})) for d in docs if d["kind"] == "ConfigMap"}
    environments: dict[str, set[str]] = {}
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        process = doc["metadata"]["labels"].get("app.kubernetes.io/name")
        if process not in PROCESSES:
            continue  # the mail catcher
        for container in doc["spec"]["template"]["spec"]["containers"]:
            variables = {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    variables |= maps[source["configMapRef"]["name"]]
                else:
                    variables |= secret_keys(docs, source["secretRef"]["name"])
            key = process if doc["kind"] == "Deployment" else f"{process} (migration)"
            environments[key] = variables
    return environments


@pytest.mark.parametrize("overlay", ["production", "development"])
def test_kubernetes_sets_every_variable_a_process_needs_and_nothing_else(overlay: str) -> None:
    environments = kubernetes_environments(render(overlay))
    assert set(environments) == {*SERVICES, "portal"} | {f"{s} (migration)" for s in SERVICES}
    found = [p for key, variables in environments.items() for p in problems(key.split()[0], variables)]
    assert not found, "\n".join(found)


def test_kubernetes_comparison_fails_on_an_unknown_and_on_a_missing_variable() -> None:
    docs = render("production")
    environments = kubernetes_environments(docs)
    assert not problems("identity", environments["identity"])
    for doc in docs:  # a typo in the common ConfigMap reaches every process
        if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("parking-common-"):
            doc["data"]["LOG_LEVLE"] = "DEBUG"
    assert "identity: LOG_LEVLE is set but nothing reads it" in problems(
        "identity", kubernetes_environments(docs)["identity"]
    )
    assert problems("portal", environments["portal"] | {"SMTP_HOST"}) == [
        "portal: SMTP_HOST is set but nothing reads it"
    ]


# No settings class has a required field today: a small one stands in.
def test_a_required_setting_not_set_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic_settings import SettingsConfigDict

    class Needs(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="X_")
        token: str
        level: str = "INFO"

    monkeypatch.setattr(f"{__name__}.settings_class", lambda process: Needs)
    assert problems("any", {"X_LEVEL"}) == ["any: X_TOKEN is required and not set"]
    assert problems("any", {"X_TOKEN"}) == []


# --------------------------------------------------------------------------- compose


def compose_environments() -> dict[str, set[str]]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    environments: dict[str, set[str]] = {}
    for name, service in compose["services"].items():
        process = name.removeprefix("migrate-")
        if process not in PROCESSES:
            continue
        command = " ".join(service.get("command", []) if isinstance(service.get("command"), list) else [])
        if process == "gateway" and "devtools.gateway" not in command:
            continue  # plain Traefik: its configuration files, no settings class
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
        # A variable the container's own command line uses (the migration's shell) is read too.
        used_by_command = {v for v in environment if f"${v}" in command or f"${{{v}" in command}
        environments[name] = set(environment) - used_by_command
    return environments


def test_compose_sets_every_variable_a_process_needs_and_nothing_else() -> None:
    environments = compose_environments()
    assert set(SERVICES) | {"portal"} <= set(environments)
    found = [
        p
        for key, variables in environments.items()
        for p in problems(key.removeprefix("migrate-"), variables)
    ]
    assert not found, "\n".join(found)


def test_compose_comparison_fails_on_an_unknown_variable() -> None:
    environments = compose_environments()
    assert "vehicles: SMTP_PORTT is set but nothing reads it" in problems(
        "vehicles", environments["vehicles"] | {"SMTP_PORTT"}
    )


def production_values(docs: list[dict[str, Any]], variables: set[str], process: str) -> dict[str, str]:
    """What each variable would hold in production: the ConfigMaps' and containers' literal
    values, and for a secret a random stand-in of a production-like length (its template
    filled with it)."""
    import secrets

    values: dict[str, str] = {}
    for doc in docs:
        if doc["kind"] == "ConfigMap":
            values.update(doc.get("data", {}))
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] == process:
            for container in doc["spec"]["template"]["spec"]["containers"]:
                values.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
                for e in container.get("env", []):
                    if "configMapKeyRef" in e.get("valueFrom", {}):
                        key = e["valueFrom"]["configMapKeyRef"]["key"]
                        values[e["name"]] = next(
                            d["data"][key] for d in docs if d["kind"] == "ConfigMap" and key in d["data"]
                        )
        if doc["kind"] == "ExternalSecret":
            for key, template in doc["spec"]["target"].get("template", {}).get("data", {}).items():
                if key in variables:
                    stand_in = secrets.token_urlsafe(36)
                    values[key] = (
                        template.replace("{{ .DB_PASSWORD | urlquery }}", stand_in)
                        .replace("{{ .AMQP_PASSWORD | urlquery }}", stand_in)
                        .replace(f"{{{{ .{key} }}}}", stand_in)
                    )
    return {k: v for k, v in values.items() if k in variables}


@pytest.mark.parametrize("process", [*SERVICES, "portal"])
def test_production_manifests_give_settings_production_accepts(
    process: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    docs = render("production")
    environments = kubernetes_environments(docs)
    values = production_values(docs, environments[process], process)
    assert set(values) == environments[process], "a variable without a production value"
    monkeypatch.chdir(tmp_path)  # no .env file
    cls = settings_class(process)
    for name in accepted_variables(cls)[0]:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = cls()  # raises on any development value left
    assert settings.environment == "production"
