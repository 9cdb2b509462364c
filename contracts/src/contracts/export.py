"""Export the JSON Schemas and the AsyncAPI document of every event, refusing breaking changes.

uv run python -m contracts.export           # regenerate contracts/schemas/
uv run python -m contracts.export --check   # exit 1 if the snapshot is stale or broken
"""

from __future__ import annotations

import argparse
import copy
import difflib
import json
import sys
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import yaml

from contracts.compat import breaking_changes
from contracts.envelope import Envelope, Event
from contracts.registry import ALL_EVENTS

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
ENVELOPE_FILE = "envelope.schema.json"
ASYNCAPI_FILE = "asyncapi.yaml"
EVENTS_DIR = "events"
EXCHANGE = "parking.events"
TITLE = "Piattaforma abbonamenti sosta – Comune di Caserta – eventi"


def event_file(cls: type[Event]) -> str:
    return f"{EVENTS_DIR}/{cls.routing_key()}.schema.json"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _sorted(data: Any) -> Any:
    return json.loads(json.dumps(data, sort_keys=True))


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # plain YAML: no &anchors / *aliases
        return True


def asyncapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    envelope = _sorted(Envelope.model_json_schema())
    for cls in ALL_EVENTS:
        key = cls.routing_key()
        schemas[key] = _hoist_defs(_sorted(cls.model_json_schema()), schemas)
        payload = copy.deepcopy(envelope)
        payload["title"] = f"{cls.__name__}Envelope"
        props = payload["properties"]
        # The envelope is generic; each message pins the header fields to its own event.
        props["type"]["const"] = cls.type
        props["version"]["const"] = cls.version
        props["producer"]["const"] = cls.producer
        props["payload"] = {"$ref": f"#/components/schemas/{key}"}
        message: dict[str, Any] = {"name": cls.__name__, "title": key}
        if description := schemas[key].get("description"):
            message["summary"] = description.splitlines()[0]
        message |= {
            "contentType": "application/json",
            "correlationId": {"location": "$message.payload#/correlation_id"},
            "payload": _sorted(payload),
        }
        messages[key] = message
        channels[key] = {
            "address": key,
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
            "bindings": {
                "amqp": {
                    "is": "routingKey",
                    "exchange": {
                        "name": EXCHANGE,
                        "type": "topic",
                        "durable": True,
                        "autoDelete": False,
                        "vhost": "/",
                    },
                    "bindingVersion": "0.3.0",
                }
            },
        }
        operations[f"{cls.producer}.send.{key}"] = {
            "action": "send",
            "title": f"{cls.producer} publishes {cls.__name__}",
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
            "tags": [{"name": cls.producer}],
            "bindings": {"amqp": {"deliveryMode": 2, "bindingVersion": "0.3.0"}},
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": TITLE,
            "version": package_version("parking-contracts"),
            "description": (
                "Events exchanged by the services through the durable topic exchange "
                f"`{EXCHANGE}`. The routing key is `<type>.v<version>`; every event travels "
                "in the same envelope, whose `payload` holds the event."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "localhost:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "RabbitMQ broker (development address; set per environment).",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": dict(sorted(schemas.items())), "messages": messages},
    }


def _hoist_defs(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """Move pydantic's ``$defs`` into components so every ``$ref`` resolves in the document."""
    for name, sub in schema.pop("$defs", {}).items():
        if components.setdefault(name, sub) != sub:
            raise ValueError(f"two different schemas named {name!r} in the AsyncAPI document")

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (v.replace("#/$defs/", "#/components/schemas/") if k == "$ref" else rewrite(v))
                for k, v in node.items()
            }
        return [rewrite(n) for n in node] if isinstance(node, list) else node

    for name in list(components):
        components[name] = rewrite(components[name])
    return rewrite(schema)


def render() -> dict[str, str]:
    """Every snapshot file, by path relative to the schemas directory."""
    files = {ENVELOPE_FILE: _json(Envelope.model_json_schema())}
    files |= {event_file(cls): _json(cls.model_json_schema()) for cls in ALL_EVENTS}
    files[ASYNCAPI_FILE] = yaml.dump(
        asyncapi_document(),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return files


@dataclass
class Comparison:
    files: dict[str, str]
    breaking: list[str] = field(default_factory=list)
    stale: dict[str, str] = field(default_factory=dict)  # path -> unified diff


def compare(schemas_dir: Path = SCHEMAS_DIR) -> Comparison:
    result = Comparison(render())
    by_file = {event_file(cls): cls for cls in ALL_EVENTS}
    for path, text in result.files.items():
        target = schemas_dir / path
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        if old == text:
            continue
        result.stale[path] = "".join(
            difflib.unified_diff(old.splitlines(keepends=True), text.splitlines(keepends=True), path, path)
        )
        if path.endswith(".json") and old:
            reasons = breaking_changes(json.loads(old), json.loads(text))
            if path == ENVELOPE_FILE:
                fix = "the envelope carries every event: change it only compatibly"
                subject = "Envelope"
            else:
                fix = "create a new version class instead (version = n + 1) and keep this one"
                subject = by_file[path].routing_key()
            result.breaking += [f"{subject}: {reason}; {fix}" for reason in reasons]
    published = schemas_dir / EVENTS_DIR
    for snapshot in sorted(published.glob("*.schema.json")) if published.is_dir() else ():
        if f"{EVENTS_DIR}/{snapshot.name}" not in result.files:
            key = snapshot.name.removesuffix(".schema.json")
            result.breaking.append(
                f"{key}: published event version has no class in the code any more; "
                "restore it (consumers may still receive it)"
            )
    return result


def check(schemas_dir: Path = SCHEMAS_DIR) -> list[str]:
    """Problems with the committed snapshot; empty when it matches the code exactly."""
    result = compare(schemas_dir)
    problems = [f"BREAKING {reason}" for reason in result.breaking]
    problems += [f"STALE {path}\n{diff}" for path, diff in result.stale.items()]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.export", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument("--dir", type=Path, default=SCHEMAS_DIR, help="schemas directory")
    args = parser.parse_args(argv)

    result = compare(args.dir)
    for reason in result.breaking:
        print(f"BREAKING {reason}", file=sys.stderr)
    if args.check:
        for path, diff in result.stale.items():
            print(f"STALE {path}\n{diff}", file=sys.stderr)
        if result.stale or result.breaking:
            print("contracts: snapshot out of date; run `uv run python -m contracts.export`")
            return 1
        print("contracts: snapshot up to date")
        return 0
    if result.breaking:
        print("contracts: refusing to write a breaking change; nothing written", file=sys.stderr)
        return 1
    for path in result.stale:
        target = args.dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.files[path], encoding="utf-8")
        print(f"wrote {target}")
    if not result.stale:
        print("contracts: snapshot up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
