"""Schemathesis on every service's OpenAPI document, through the real gateway.

Each service's document is read from the gateway (``<prefix>/openapi.json``) and every
operation in it is called with requests generated from its own schema: a citizen's bearer
token on the citizens' routes, an admin's on the ``/admin/`` routes, none on the public ones.
Every answer must be no server error, a documented status, a documented content type, and a
body that matches the documented schema. A refusal (404 for an unknown id, 429 from the
gateway's rate limit, 422 for text a person never types) is a legitimate answer only when the
document says so.

The run is bounded and repeatable: a fixed number of examples per operation, derandomized, no
shrinking (a failure is recorded, not minimised), no Hypothesis database on disk.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtools.mailbox import Mailbox
from devtools.services import SERVICES, Service
from devtools.teststack import Stack
from tests.e2e.journeys import PASSWORD, new_person, otp_in

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# Examples per operation: requests valid by the schema, and invalid ones (wrong types, missing
# fields, bodies that are not JSON) where an operation takes input. Enough to reach the
# documented refusals of a route, few enough for the whole run to take about two minutes on a
# shared two-core machine.
_SCALE = float(os.environ.get("SCHEMATHESIS_SCALE", "1"))
EXAMPLES = {
    GenerationMode.POSITIVE: max(1, round(8 * _SCALE)),
    GenerationMode.NEGATIVE: max(1, round(4 * _SCALE)),
}
SETTINGS = hypothesis.settings(
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@dataclass
class Tokens:
    citizen: str
    admin: str


@dataclass
class Report:
    service: str
    operations: int = 0
    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    # One entry per (operation, kind of failure): the first example that showed it.
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    seconds: float = 0.0


def _create_admin(stack: Stack, email: str) -> None:
    """What `make create-admin` does, against this stack's identity database."""
    env = {**os.environ, **stack.env, **stack.process_env["identity"]}
    result = subprocess.run(
        [sys.executable, "-m", "identity", "create-user", "--role", "admin", "--email", email]
        + ["--password", PASSWORD, "--first-name", "Amministratore", "--last-name", "Prova"],
        env=env,
        cwd=stack.work_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def _log_in(client: httpx.AsyncClient, email: str) -> str:
    response = await client.post("/api/identity/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


async def _register_citizen(client: httpx.AsyncClient, mailbox: Mailbox) -> str:
    """A citizen registered through the API as the portal does it: start, OTP by e-mail, complete."""
    person = new_person()
    started = await client.post(
        "/api/identity/registrations",
        json={
            "email": person.email,
            "tax_code": person.tax_code,
            "password": PASSWORD,
            "password_confirmation": PASSWORD,
            "privacy_accepted": True,
        },
    )
    assert started.status_code == 201, started.text
    registration = started.json()
    message = await mailbox.wait_for_message(
        to=person.email, subject_contains="codice di verifica", timeout_s=45
    )
    completed = await client.post(
        f"/api/identity/registrations/{registration['registration_id']}/complete",
        headers={"X-Registration-Token": registration["resume_token"]},
        json={
            "otp": otp_in(message),
            "first_name": person.first_name,
            "last_name": person.last_name,
            "sex": person.sex,
            "birth_date": person.birth_date.isoformat(),
            "birth_place": person.birth_place,
            "address_street": "Via San Carlo",
            "address_number": "15",
            "postcode": "81100",
            "municipality": "Caserta",
            "phone": "3331234567",
        },
    )
    assert completed.status_code == 201, completed.text
    return person.email


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Hypothesis keeps caches (literals found in the code, Unicode tables) in ``.hypothesis``
    of the working directory even without a database: in the run's temporary directory instead."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture(scope="module")
async def tokens(stack: Stack) -> Tokens:
    admin_email = f"admin.{uuid.uuid4().hex[:8]}@comune.caserta.it"
    await asyncio.to_thread(_create_admin, stack, admin_email)
    async with (
        httpx.AsyncClient(base_url=stack.url, timeout=10.0) as client,
        httpx.AsyncClient(timeout=5.0) as mail_client,
    ):
        citizen_email = await _register_citizen(client, Mailbox(mail_client, stack.mail_url))
        return Tokens(citizen=await _log_in(client, citizen_email), admin=await _log_in(client, admin_email))


def _headers_for(operation: schemathesis.APIOperation, tokens: Tokens) -> dict[str, str]:
    """Anonymous where the document asks for no credentials; else an admin on /admin/, a citizen
    anywhere else."""
    if not operation.definition.raw.get("security"):
        return {}
    token = tokens.admin if "/admin/" in operation.path else tokens.citizen
    return {"Authorization": f"Bearer {token}"}


def _fuzz_operation(
    stack: Stack,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    report: Report,
    tokens: Tokens,
    session: requests.Session,
) -> None:
    headers = _headers_for(operation, tokens)

    @hypothesis.settings(SETTINGS, max_examples=EXAMPLES[mode])
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=stack.url, session=session, headers=headers, timeout=15)
        report.calls += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Failure, FailureGroup) as exc:
            # Recorded, not raised: Hypothesis would shrink it, and the other operations would
            # go untested.
            for failure in exc.exceptions if isinstance(exc, FailureGroup) else [exc]:
                key = (operation.label, f"{failure.title} ({response.status_code})")
                report.failures.setdefault(
                    key, f"{failure.message}\n    {response.text[:300]!r}\n    {case.as_curl_command()}"
                )

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # Nothing of the operation can be made invalid (every input is free text).
        assert mode is GenerationMode.NEGATIVE, f"no valid request for {operation.label}"


def _fuzz(stack: Stack, prefix: str, report: Report, tokens: Tokens) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url}{prefix}/openapi.json")
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            report.operations += 1
            _fuzz_operation(stack, operation, GenerationMode.POSITIVE, report, tokens, session)
            if list(operation.iter_parameters()) or "requestBody" in operation.definition.raw:
                _fuzz_operation(stack, operation, GenerationMode.NEGATIVE, report, tokens, session)


@pytest.mark.parametrize("service", SERVICES, ids=[s.name for s in SERVICES])
def test_every_operation_answers_as_documented(
    stack: Stack, tokens: Tokens, service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    report = Report(service.name)
    started = time.monotonic()
    _fuzz(stack, service.prefix, report, tokens)
    report.seconds = time.monotonic() - started
    statuses = ", ".join(f"{status}×{n}" for status, n in sorted(report.statuses.items()))
    with capsys.disabled():  # the figures of every run, not only of a failing one
        print(
            f"\nschemathesis {service.name}: {report.operations} operations, {report.calls} calls "
            f"in {report.seconds:.1f} s, {len(report.failures)} failures; statuses {statuses}"
        )
    assert report.operations and report.calls >= report.operations, "some operations were never called"
    details = "\n".join(
        f"- {label} [{kind}] {text}" for (label, kind), text in sorted(report.failures.items())
    )
    assert not report.failures, f"{len(report.failures)} failures in {service.name}:\n{details}"
