"""The services' own OpenAPI documents, built from their FastAPI apps, against which the portal
tests' fake gateway is checked: every answer a test makes it give, and every JSON body the
portal sends through it, must be what the service documents for that method and path.

Only the test harness imports the services (the portal itself talks to them over HTTP)."""

from __future__ import annotations

import functools
import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

# The gateway's path prefix of each service → its Python package.
SERVICES = {
    "/api/identity/": "identity",
    "/api/certifications/": "certification",
    "/api/vehicles/": "vehicles",
    "/api/subscriptions/": "subscriptions",
    "/api/billing/": "billing",
    "/api/notifications/": "notifications",
}
_PARAM = re.compile(r"\{([^}]+)\}")
# Statuses the gateway itself answers on any route (rate limit, a service down or slow, limits
# on size): no service documents them; their body, when JSON, is still a problem document.
GATEWAY_STATUSES = frozenset({413, 429, 431, 502, 503, 504})
_PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}
# Refusals the fakes give that the service's OpenAPI document does not list (see response_drift).
UNDOCUMENTED: set[str] = set()
# Drift the fakes had when this check arrived, one message a line: each is a payload to fix
# (then delete its line). A drift not listed fails its test. RECORD_FAKE_DRIFT=1 appends what
# a run finds (sort -u the file after).
KNOWN_DRIFT_FILE = Path(__file__).with_name("fake_drift_known.txt")
KNOWN_DRIFT = frozenset(
    line
    for line in KNOWN_DRIFT_FILE.read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)


@functools.cache
def document(service: str) -> dict[str, Any]:
    """The OpenAPI document the service serves, from its app as ``create_app`` builds it (no
    database nor broker is reached: nothing is started)."""
    main = importlib.import_module(f"{service}.main")
    settings = importlib.import_module(f"{service}.settings").Settings(environment="test")
    return main.create_app(settings).openapi()


@dataclass(frozen=True)
class Operation:
    service: str
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.service}: {self.method} {self.template}"


@functools.cache
def operations(service: str) -> list[Operation]:
    """Every operation of the service, literal paths before templated ones (``/requests/options``
    wins over ``/requests/{request_id}``)."""
    found = []
    for template, item in document(service)["paths"].items():
        regex = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]+\})", template)
        )
        for method, spec in item.items():
            found.append(Operation(service, method.upper(), template, re.compile(f"{regex}$"), spec))
    return sorted(found, key=lambda op: len(_PARAM.findall(op.template)))


def find(method: str, path: str) -> Operation | None:
    service = next((s for prefix, s in SERVICES.items() if path.startswith(prefix)), None)
    if service is None:
        return None
    return next((op for op in operations(service) if op.method == method and op.pattern.match(path)), None)


def _closed(schema: Any) -> Any:
    """The schema with every object closed to properties it does not name: the services'
    models never send more, so a fake field the service lacks (one the portal would then rely
    on) is drift. ``required`` is dropped: a fake answer may leave out fields its test does not
    read; what it does send must exist in the service's model, with its type, format and
    values."""
    if isinstance(schema, list):
        return [_closed(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    closed = {k: _closed(v) for k, v in schema.items() if not (k == "required" and isinstance(v, list))}
    if "properties" in closed and "additionalProperties" not in closed:
        closed["additionalProperties"] = False
    return closed


@functools.cache
def _validator(service: str, schema_json: str) -> Draft202012Validator:
    schema = _closed({**json.loads(schema_json), "components": document(service)["components"]})
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _violations(operation: Operation, schema: dict[str, Any], value: Any) -> list[str]:
    validator = _validator(operation.service, json.dumps(schema, sort_keys=True))
    errors = [best_match([e]) for e in validator.iter_errors(value)]
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
        for error in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))
    ]


def _media_type(headers: httpx.Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def request_drift(request: httpx.Request) -> list[str]:
    """What in the portal's request the service would not accept as documented."""
    operation = find(request.method, request.url.path)
    if operation is None:
        return []  # said once, by response_drift
    content = operation.spec.get("requestBody", {}).get("content", {})
    if _media_type(request.headers) != "application/json" or "application/json" not in content:
        return []  # forms and uploads: the multipart tests read them as the service does
    body = json.loads(request.content or b"null")
    schema = content["application/json"].get("schema", {})
    return [f"{operation.label} request body {v}" for v in _violations(operation, schema, body)]


def response_drift(request: httpx.Request, response: httpx.Response) -> list[str]:
    """What in a fake answer the service could never answer, by its OpenAPI document."""
    operation = find(request.method, request.url.path)
    if operation is None:
        return [f"{request.method} {request.url.path}: no service has this route"]
    responses = operation.spec.get("responses", {})
    status = str(response.status_code)
    documented = responses.get(status) or responses.get(f"{status[0]}XX") or responses.get("default")
    if response.status_code in GATEWAY_STATUSES and not _media_type(response.headers).endswith("json"):
        return []  # the gateway's own answer (a service down: Traefik's bare 502/503)
    if documented is None and response.status_code in GATEWAY_STATUSES:
        documented = {"content": {}}  # the gateway's own answer: any type (a problem if JSON)
        if _media_type(response.headers).endswith("json"):
            documented = {"content": {_media_type(response.headers): {"schema": _PROBLEM}}}
    elif documented is None and response.status_code >= 400:
        # A refusal the service's document does not list yet (its routes document only the
        # refusals the kit adds): still a problem document, and listed for the services.
        UNDOCUMENTED.add(f"{operation.label} {status}")
        documented = {"content": {"application/problem+json": {"schema": _PROBLEM}}}
    if documented is None:
        return [f"{operation.label} never answers {status} (documented: {', '.join(responses)})"]
    content = documented.get("content", {})
    media_type = _media_type(response.headers)
    if not content:
        return []
    if media_type not in content:
        return [
            f"{operation.label} {status} is never {media_type or 'without a type'} ({', '.join(content)})"
        ]
    schema = content[media_type].get("schema")
    if not schema or not (media_type == "application/json" or media_type.endswith("+json")):
        return []
    try:
        body = json.loads(response.content)
    except ValueError:
        return [f"{operation.label} {status}: the body is not JSON"]
    return [f"{operation.label} {status} {v}" for v in _violations(operation, schema, body)]
