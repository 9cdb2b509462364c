"""The committed AsyncAPI document is well formed and covers every event."""

import yaml

from contracts import export, registry

ALL_EVENTS = registry.ALL_EVENTS


def _document() -> dict:
    return yaml.safe_load((export.SCHEMAS_DIR / export.ASYNCAPI_FILE).read_text(encoding="utf-8"))


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolve(document: dict, ref: str):
    assert ref.startswith("#/"), f"{ref} points outside the document"
    node = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_document_is_asyncapi_3_with_the_platform_title_and_broker():
    document = _document()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == export.TITLE
    assert document["servers"]["rabbitmq"]["protocol"] == "amqp"


def test_one_channel_per_event_bound_to_the_topic_exchange():
    channels = _document()["channels"]
    assert sorted(c["address"] for c in channels.values()) == sorted(cls.routing_key() for cls in ALL_EVENTS)
    for channel in channels.values():
        amqp = channel["bindings"]["amqp"]
        assert amqp["is"] == "routingKey"
        exchange = amqp["exchange"]
        assert (exchange["name"], exchange["type"], exchange["durable"]) == (
            "parking.events",
            "topic",
            True,
        )


def test_one_send_operation_per_event_from_its_producer():
    document = _document()
    operations = document["operations"]
    assert len(operations) == len(ALL_EVENTS)
    for cls in ALL_EVENTS:
        operation = operations[f"{cls.producer}.send.{cls.routing_key()}"]
        assert operation["action"] == "send"
        assert _resolve(document, operation["channel"]["$ref"])["address"] == cls.routing_key()


def test_message_payload_is_the_envelope_carrying_the_event_schema():
    document = _document()
    for cls in ALL_EVENTS:
        payload = document["components"]["messages"][cls.routing_key()]["payload"]
        assert set(payload["required"]) >= {"type", "version", "producer", "payload"}
        event_schema = _resolve(document, payload["properties"]["payload"]["$ref"])
        assert event_schema["title"] == cls.__name__
        assert payload["properties"]["type"]["const"] == cls.type


def test_every_ref_resolves_inside_the_document():
    document = _document()
    refs = list(_refs(document))
    assert refs
    for ref in refs:
        _resolve(document, ref)
