"""The NetworkPolicies of the production overlay, evaluated offline as a CNI enforcing them
would: which pod may open a connection to which pod or address, on which port."""

from __future__ import annotations

import ipaddress
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = ROOT / "deploy" / "k8s" / "overlays" / "production"
NAMESPACE = "parking-caserta"


@cache
def production() -> tuple[dict[str, Any], ...]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: the kustomize render cannot be checked here")
    result = subprocess.run(
        [kubectl, "kustomize", str(PRODUCTION)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


@dataclass(frozen=True)
class Peer:
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    ip: str = ""  # an address outside the cluster

    def __hash__(self) -> int:
        return hash((self.namespace, tuple(sorted(self.labels.items())), self.ip))


def pod(namespace: str = NAMESPACE, **labels: str) -> Peer:
    return Peer(namespace, {k.replace("_", "."): v for k, v in labels.items()})


def app(name: str, component: str = "api") -> Peer:
    return Peer(NAMESPACE, {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component})


TRAEFIK = Peer("traefik", {"app.kubernetes.io/name": "traefik"})
DNS = Peer("kube-system", {"k8s-app": "kube-dns"})
DB = Peer(NAMESPACE, {"cnpg.io/cluster": "parking-db"})
BROKER = Peer(NAMESPACE, {"app.kubernetes.io/name": "parking-broker"})
STRANGER = Peer("default", {"app": "anything"})


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        present = labels.get(expression["key"])
        if expression["operator"] == "In" and present not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and present in expression["values"]:
            return False
    return True


def peer_matches(rule_peer: dict[str, Any], peer: Peer) -> bool:
    if "ipBlock" in rule_peer:
        if not peer.ip:
            return False
        block = rule_peer["ipBlock"]
        address = ipaddress.ip_address(peer.ip)
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", [])
        )
    if peer.ip:
        return False
    if "namespaceSelector" in rule_peer:
        if not selects(rule_peer["namespaceSelector"], {"kubernetes.io/metadata.name": peer.namespace}):
            return False
    elif peer.namespace != NAMESPACE:
        return False
    return selects(rule_peer.get("podSelector", {}), peer.labels)


def port_matches(ports: list[dict[str, Any]] | None, port: int, protocol: str) -> bool:
    if not ports:
        return True
    return any(
        p.get("protocol", "TCP") == protocol and p["port"] <= port <= p.get("endPort", p["port"])
        for p in ports
    )


def allowed_by(
    policies: list[dict[str, Any]], direction: str, subject: Peer, other: Peer, port: int, protocol: str
) -> bool:
    """Whether `subject` (a pod of the namespace) may send (Egress) or receive (Ingress)."""
    if subject.namespace != NAMESPACE or subject.ip:
        return True  # not ours to police
    kind, peers = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    selecting = [p for p in policies if selects(p["spec"]["podSelector"], subject.labels)]
    selecting = [p for p in selecting if direction in p["spec"].get("policyTypes", ["Ingress"])]
    if not selecting:
        return True
    return any(
        (not rule.get(peers) or any(peer_matches(x, other) for x in rule[peers]))
        and port_matches(rule.get("ports"), port, protocol)
        for p in selecting
        for rule in p["spec"].get(kind, [])
    )


def connects(
    source: Peer, target: Peer, port: int, protocol: str = "TCP", policies: list[dict[str, Any]] | None = None
) -> bool:
    if policies is None:
        policies = [d for d in production() if d["kind"] == "NetworkPolicy"]
    return allowed_by(policies, "Egress", source, target, port, protocol) and allowed_by(
        policies, "Ingress", target, source, port, protocol
    )


SERVICES = {
    "identity": 8101,
    "certification": 8102,
    "vehicles": 8103,
    "subscriptions": 8104,
    "billing": 8105,
    "notifications": 8106,
}
SMTP_RELAY = Peer(ip="192.0.2.25")
PROVIDER = Peer(ip="198.51.100.7")
INTERNET = Peer(ip="203.0.113.9")

FLOWS = [
    # (source, target, port, allowed)
    (TRAEFIK, app("portal", "web"), 8010, True),
    *[(TRAEFIK, app(s), p, True) for s, p in SERVICES.items()],
    (TRAEFIK, DB, 5432, False),
    (app("portal", "web"), TRAEFIK, 8443, True),
    (app("portal", "web"), app("identity"), 8101, False),
    (app("portal", "web"), DB, 5432, False),
    (app("portal", "web"), BROKER, 5672, False),
    (app("portal", "web"), INTERNET, 443, False),
    *[(app(s), DB, 5432, True) for s in SERVICES],
    *[(app(s, "migration"), DB, 5432, True) for s in SERVICES],
    *[(app(s), BROKER, 5672, True) for s in SERVICES],
    *[(app(s), app("identity"), 8101, True) for s in SERVICES if s != "identity"],
    (app("vehicles"), app("billing"), 8105, False),
    (app("billing"), app("subscriptions"), 8104, False),
    (app("billing"), PROVIDER, 443, True),
    (app("vehicles"), PROVIDER, 443, False),
    (app("notifications"), SMTP_RELAY, 587, True),
    (app("identity"), SMTP_RELAY, 587, False),
    (app("identity"), INTERNET, 443, False),
    (STRANGER, app("identity"), 8101, False),
    (STRANGER, app("portal", "web"), 8010, False),
    (STRANGER, DB, 5432, False),
    (STRANGER, BROKER, 5672, False),
    (Peer("monitoring", {"app.kubernetes.io/name": "prometheus"}), app("billing"), 8105, True),
    (app("portal", "web"), DNS, 53, True),
    (app("identity"), DNS, 53, True),
]


@pytest.mark.parametrize(
    ("source", "target", "port", "expected"), FLOWS, ids=[str(i) for i in range(len(FLOWS))]
)
def test_network_policies_allow_exactly_the_platform_flows(
    source: Peer, target: Peer, port: int, expected: bool
) -> None:
    protocol = "UDP" if port == 53 else "TCP"
    assert connects(source, target, port, protocol) is expected


def test_without_the_policies_every_flow_is_open() -> None:
    # The evaluation above depends on the policies: with none, a forbidden flow goes through.
    assert connects(app("portal", "web"), DB, 5432, policies=[])
    assert connects(STRANGER, app("identity"), 8101, policies=[])
    without_default_deny = [
        d for d in production() if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] != "default-deny"
    ]
    # Every platform pod has its own policy: the default deny catches what no one listed.
    assert not connects(app("portal", "web"), DB, 5432, policies=without_default_deny)
    debug = Peer(NAMESPACE, {"app.kubernetes.io/name": "debug"})
    assert connects(STRANGER, debug, 8080, policies=without_default_deny)
    assert not connects(STRANGER, debug, 8080)
