"""The gateway alone: the real Traefik, configured by devtools.gateway from gateway/*.j2, in
front of tiny echo backends that report what reached them."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import APIRouter

from devtools.processes import ManagedProcess, free_ports, stop_all, wait_for_http
from devtools.services import SERVICES
from kit.app import create_service_app
from kit.logging import configure_logging
from kit.runtime import ServiceRuntime
from kit.settings import ServiceSettings

BACKENDS = ["portal", "devmail", *(s.name for s in SERVICES)]
# Loopback too: a client bound to it plays the portal calling the API.
PORTAL_ADDRESS = "127.0.0.2"
CLIENT_ADDRESS_SECRET = b"gateway-tests-client-address-secret"


@dataclass
class EchoBackend:
    """Answers every request with JSON describing it; counts the requests it received. A
    request with ``X-Echo-Status: <n>`` gets a problem of its own with that status instead (a
    service's own refusal), with ``Retry-After: 123``."""

    name: str
    server: ThreadingHTTPServer
    hits: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def _echo_handler(backend_ref: list[EchoBackend]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            backend = backend_ref[0]
            with backend.lock:
                backend.hits += 1
                hit = backend.hits
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            payload = json.dumps(
                {
                    "backend": backend.name,
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body_length": len(body),
                }
            ).encode()
            status = int(self.headers.get("x-echo-status") or 200)
            if status != 200:
                payload = json.dumps(
                    {"backend": backend.name, "status": status, "code": "backend_own"}
                ).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/json" if status == 200 else "application/problem+json"
            )
            if status != 200:
                self.send_header("Retry-After", "123")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Correlation-ID", f"{backend.name}-{hit}")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def portal_address() -> str:
    """Where the portal calls the API from, for the gateways started here."""
    return PORTAL_ADDRESS


@pytest.fixture(scope="session")
def backends() -> Iterator[dict[str, EchoBackend]]:
    started: dict[str, EchoBackend] = {}
    for name in BACKENDS:
        ref: list[EchoBackend] = []
        server = ThreadingHTTPServer(("127.0.0.1", 0), _echo_handler(ref))
        ref.append(EchoBackend(name, server))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started[name] = ref[0]
    yield started
    for backend in started.values():
        backend.server.shutdown()
        backend.server.server_close()


@dataclass
class Gateway:
    url: str
    access_log: Path
    process: ManagedProcess

    def access_log_lines(self) -> list[str]:
        if not self.access_log.exists():
            return []
        return [line for line in self.access_log.read_text().splitlines() if line.strip()]


StartGateway = Callable[..., AbstractAsyncContextManager[Gateway]]


@pytest.fixture(scope="session")
def start_gateway(backends: dict[str, EchoBackend], tmp_path_factory: pytest.TempPathFactory) -> StartGateway:
    """``async with start_gateway(GATEWAY_AUTH_RATE_BURST="3") as gw:`` Traefik rendered with
    these settings (environment variables) on a free port, in front of the echo backends."""

    @asynccontextmanager
    async def start(**settings: str) -> AsyncIterator[Gateway]:
        work_dir = tmp_path_factory.mktemp("gateway")
        (port,) = free_ports(1)
        env: Mapping[str, str] = {
            "ENVIRONMENT": "test",
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "GATEWAY_OUTPUT_DIR": str(work_dir / "config"),
            "GATEWAY_ACCESS_LOG": str(work_dir / "access.log"),
            # What the portal signs the citizens' addresses with (the portal_signs fixture).
            "GATEWAY_CLIENT_ADDRESS_SECRET": CLIENT_ADDRESS_SECRET.decode(),
            **{f"GATEWAY_{name.upper()}_URL": b.url for name, b in backends.items()},
            **settings,
        }
        process = ManagedProcess(
            name="gateway",
            args=[sys.executable, "-m", "devtools.gateway", "run"],
            # A developer's GATEWAY_* settings must not change what is tested.
            env={k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")} | dict(env),
            log_path=work_dir / "traefik.log",
            cwd=work_dir,
        ).start()
        gateway = Gateway(f"http://127.0.0.1:{port}", work_dir / "access.log", process)
        # With a public host, nothing else is routed.
        host = {"Host": settings["GATEWAY_PUBLIC_HOST"]} if settings.get("GATEWAY_PUBLIC_HOST") else {}
        try:
            async with httpx.AsyncClient(headers=host) as client:
                # /ping answers before the routes are loaded from the dynamic file.
                await wait_for_http(client, f"{gateway.url}/ping", watch=[process], timeout_s=20)
                await wait_for_http(client, f"{gateway.url}/", watch=[process], timeout_s=20)
            yield gateway
        finally:
            stop_all([process])

    return start


@pytest.fixture(scope="session")
async def gateway(start_gateway: StartGateway) -> AsyncIterator[Gateway]:
    """One gateway for the tests that do not depend on limits: bodies limited to 1 KiB
    (8 KiB on upload routes)."""
    async with start_gateway(GATEWAY_MAX_BODY_BYTES="1024", GATEWAY_UPLOAD_MAX_BODY_BYTES="8192") as running:
        yield running


@pytest.fixture
async def client(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10.0) as http:
        yield http


@dataclass
class KitBackend:
    """A service built by kit.app.create_service_app, served by uvicorn as the services are."""

    url: str
    prefix: str
    records: list[logging.LogRecord]


class _Records(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="session")
def kit_backend() -> Iterator[KitBackend]:
    """Identity's prefix, kit's middleware, no lifespan (no database or broker): ``/boom``
    raises RuntimeError, ``/echo`` answers the JSON it is sent. Log records of the process
    (uvicorn's too) are collected in ``records``."""
    prefix = "/api/identity"
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("an error nobody handled")

    @router.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    settings = ServiceSettings(service_name="identity", api_prefix=prefix)
    app = create_service_app(
        ServiceRuntime.from_settings(settings), title="t", description="d", routers=[router]
    )
    (port,) = free_ports(1)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        proxy_headers=True,
        forwarded_allow_ips="*",
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    # What the service's lifespan does first (the lifespan itself would need the broker).
    configure_logging(settings.service_name, "INFO", json=True)
    records: list[logging.LogRecord] = []
    handler = _Records(records)
    logging.getLogger().addHandler(handler)
    thread = threading.Thread(target=server.run, name="kit-backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield KitBackend(f"http://127.0.0.1:{port}", prefix, records)
    finally:
        server.should_exit = True
        thread.join(10)
        logging.getLogger().removeHandler(handler)
