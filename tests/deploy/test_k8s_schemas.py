"""Every object the Kubernetes overlays render, checked offline against its schema: the
Kubernetes kinds against kubernetes-validate's OpenAPI schemas, the custom resources
(CloudNativePG, RabbitMQ operators, External Secrets, Traefik) against the CRD schemas vendored
in deploy/k8s/schemas/. Strict, as the API server's field validation: an unknown field fails.
Each check is also shown failing on a broken object."""

from __future__ import annotations

import copy
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

kubernetes_validate = pytest.importorskip(
    "kubernetes_validate", reason="kubernetes-validate is not installed (dev dependency)"
)
from kubernetes_validate.utils import schema_contents  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = K8S / "schemas"
OVERLAYS = ("production", "development")
VERSION = kubernetes_validate.latest_version()
DEFINITIONS = "https://kubernetes.io/api/_definitions.json"


def render(overlay: str) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize render cannot be checked here")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(render(overlay))


def structural_to_json_schema(node: Any) -> Any:
    """A CRD's openAPIV3Schema as JSON Schema, read as the API server does with strict field
    validation: listed properties close the object, x-kubernetes-ref points at a Kubernetes
    definition."""
    if isinstance(node, list):
        return [structural_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "x-kubernetes-ref" in node:
        return {"$ref": f"{DEFINITIONS}#/$defs/{node['x-kubernetes-ref']}"}
    out = {k: structural_to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    if "properties" in out:
        out["properties"] = {k: structural_to_json_schema(v) for k, v in node["properties"].items()}
        if "additionalProperties" not in out and not node.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if "metadata" in out.get("properties", {}) and out["properties"]["metadata"] == {
        "type": "object"
    }:  # the API server checks metadata itself: ObjectMeta
        out["properties"]["metadata"] = {
            "$ref": f"{DEFINITIONS}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        }
    return out


@cache
def registry() -> Registry:
    definitions = schema_contents(
        f"kubernetes-json-schema/v{VERSION}-local-strict/_definitions.json", VERSION
    )
    return Resource.from_contents(definitions) @ Registry()


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(SCHEMAS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        schema = structural_to_json_schema(crd["openAPIV3Schema"])
        schema["properties"]["apiVersion"] = {"const": f"{crd['group']}/{crd['version']}"}
        schema["properties"]["kind"] = {"const": crd["kind"]}
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
        schemas[(f"{crd['group']}/{crd['version']}", crd["kind"])] = schema
    return schemas


def is_custom(doc: dict[str, Any]) -> bool:
    group = doc["apiVersion"].split("/")[0] if "/" in doc["apiVersion"] else ""
    return "." in group and not group.endswith("k8s.io")


def validate(doc: dict[str, Any]) -> None:
    """Raises on an invalid object (jsonschema or kubernetes-validate errors)."""
    if is_custom(doc):
        schema = crd_schemas().get((doc["apiVersion"], doc["kind"]))
        assert schema is not None, f"no vendored schema for {doc['apiVersion']} {doc['kind']}"
        jsonschema.Draft202012Validator(schema, registry=registry()).validate(doc)
    else:
        kubernetes_validate.validate(doc, VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_object_is_valid_against_its_schema(overlay: str) -> None:
    docs = rendered(overlay)
    kinds = set()
    for doc in docs:
        try:
            validate(doc)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as exc:
            pytest.fail(f"{overlay}: {doc['kind']} {doc['metadata']['name']}: {exc}")
        kinds.add(doc["kind"])
    assert {"Deployment", "Job", "NetworkPolicy", "Cluster", "RabbitmqCluster", "User", "Permission"} <= kinds
    assert {"IngressRoute", "Middleware", "Database"} <= kinds


def test_every_custom_kind_rendered_has_a_vendored_schema() -> None:
    rendered_kinds = {(d["apiVersion"], d["kind"]) for o in OVERLAYS for d in rendered(o) if is_custom(d)}
    assert rendered_kinds == set(crd_schemas())


def find(overlay: str, kind: str, name: str | None = None) -> dict[str, Any]:
    for doc in rendered(overlay):
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name):
            return copy.deepcopy(doc)
    raise KeyError((kind, name))


def _drop_override_containers(d: dict[str, Any]) -> None:
    del d["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]["containers"]


def _set(path: str, value: Any):
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        for key in parents:
            d = d[int(key)] if isinstance(d, list) else d[key]
        d[last] = value

    return change


BROKEN = [
    # The override without the "containers" its PodSpec requires: the API server refuses it.
    ("RabbitmqCluster", None, _drop_override_containers, "containers"),
    ("RabbitmqCluster", None, _set("spec.replicas", "three"), "three"),
    ("RabbitmqCluster", None, _set("spec.rabbitmq.extraConfig", "x"), "extraConfig"),
    ("Cluster", None, _set("spec.primaryUpdateStrategy", "sometimes"), "sometimes"),
    ("Cluster", None, _set("spec.managed.roles.0.passwordSecret", {}), "name"),
    ("Cluster", None, _set("spec.instance", 3), "instance"),
    ("Database", None, _set("spec.ensure", "maybe"), "maybe"),
    ("ScheduledBackup", None, _set("spec.method", "tape"), "tape"),
    ("User", None, _set("spec.rabbitmqClusterReference", "parking-broker"), "parking-broker"),
    ("Permission", None, _set("spec.permissions.admin", ".*"), "admin"),
    ("IngressRoute", None, _set("spec.routes.0.services.0.kind", "Pod"), "Pod"),
    ("Middleware", "auth-rate-limit", _set("spec.rateLimit.average", "ten"), "ten"),
    ("ExternalSecret", None, _set("spec.secretStoreRef.kind", "Vault"), "Vault"),
    ("ObjectStore", None, _set("spec.configuration.wal.compression", "zip"), "zip"),
    # Kubernetes kinds: a typo'd field and a wrong type.
    ("Deployment", "identity", _set("spec.template.spec.containers.0.imagePullPolice", "Always"), ""),
    ("NetworkPolicy", "default-deny", _set("spec.policyTypes", "Ingress"), ""),
    ("Job", None, _set("spec.ttlSecondsAfterFinished", "1h"), ""),
]


@pytest.mark.parametrize(
    ("kind", "name", "breaking", "mentioned"), BROKEN, ids=[f"{k}-{i}" for i, (k, *_) in enumerate(BROKEN)]
)
def test_each_check_fails_on_a_broken_object(kind: str, name: str | None, breaking, mentioned: str) -> None:
    overlay = "production"
    doc = find(overlay, kind, name)
    validate(doc)  # the object as rendered passes...
    breaking(doc)
    with pytest.raises((jsonschema.ValidationError, kubernetes_validate.ValidationError)) as caught:
        validate(doc)  # ...and fails once broken
    assert mentioned in str(caught.value)
