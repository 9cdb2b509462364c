"""The committed schemas in contracts/schemas/ match the code, and the exporter guards them."""

import json
from pathlib import Path

from contracts import events, export

_PAYMENT_COMPLETED = export.event_file(events.PaymentCompleted)


def test_committed_snapshot_matches_the_code():
    problems = export.check()
    assert not problems, (
        "contracts/schemas/ does not match the code; run `uv run python -m contracts.export` "
        "(a BREAKING change needs a new event version class):\n" + "\n".join(problems)
    )


def _published(tmp_path: Path) -> Path:
    for path, text in export.render().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    return tmp_path


def _edit_snapshot(schemas_dir: Path, edit) -> Path:
    target = schemas_dir / _PAYMENT_COMPLETED
    schema = json.loads(target.read_text(encoding="utf-8"))
    edit(schema)
    target.write_text(json.dumps(schema), encoding="utf-8")
    return target


def test_export_refuses_to_overwrite_a_breaking_change(tmp_path, capsys):
    # The published schema had a property that the code no longer has.
    target = _edit_snapshot(_published(tmp_path), lambda s: s["properties"].update(legacy={"type": "string"}))
    before = target.read_text(encoding="utf-8")

    assert export.main(["--dir", str(tmp_path)]) == 1

    assert target.read_text(encoding="utf-8") == before
    err = capsys.readouterr().err
    assert "billing.payment.completed.v1: property 'legacy' was removed" in err
    assert "new version class" in err


def test_export_writes_a_compatible_change(tmp_path):
    # The published schema lacked the optional `currency`: adding it is compatible.
    target = _edit_snapshot(_published(tmp_path), lambda s: s["properties"].pop("currency"))

    assert export.main(["--dir", str(tmp_path)]) == 0

    assert target.read_text(encoding="utf-8") == export.render()[_PAYMENT_COMPLETED]


def test_a_published_event_without_a_class_is_breaking(tmp_path):
    schemas_dir = _published(tmp_path)
    (schemas_dir / "events" / "billing.refund.issued.v1.schema.json").write_text("{}\n")

    assert export.main(["--dir", str(schemas_dir)]) == 1
    assert any("billing.refund.issued.v1" in p for p in export.check(schemas_dir))


def test_check_writes_nothing_and_fails_on_a_stale_snapshot(tmp_path, capsys):
    target = _edit_snapshot(_published(tmp_path), lambda s: s.update(description="old doc"))
    before = target.read_text(encoding="utf-8")

    assert export.main(["--check", "--dir", str(tmp_path)]) == 1

    assert target.read_text(encoding="utf-8") == before
    assert "STALE events/billing.payment.completed.v1.schema.json" in capsys.readouterr().err


def test_check_passes_on_an_up_to_date_snapshot(tmp_path):
    assert export.main(["--check", "--dir", str(_published(tmp_path))]) == 0
