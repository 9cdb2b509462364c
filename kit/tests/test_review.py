"""The rules every operators' review shares."""

from __future__ import annotations

import pytest

from kit.errors import Conflict, Invalid
from kit.review import rejection_reason, request_already_decided
from kit.text import clean_line, has_control_characters


def test_a_rejection_reason_is_stored_trimmed_and_may_span_lines() -> None:
    assert rejection_reason("  Documento illeggibile.\n") == "Documento illeggibile."
    assert rejection_reason("Prima riga.\nSeconda riga.") == "Prima riga.\nSeconda riga."


def test_a_reason_of_exactly_5_and_500_characters_is_accepted() -> None:
    assert rejection_reason("abcde") == "abcde"
    assert rejection_reason("y" * 500) == "y" * 500


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        (None, "required"),
        ("   ", "required"),
        (" abcd ", "too_short"),
        ("x" * 501, "too_long"),
        ("Motivo\x00nascosto", "invalid_characters"),
        ("Libretto \ud800 illeggibile", "invalid_characters"),
    ],
)
def test_a_rejection_reason_must_say_something_readable_in_5_to_500_characters(
    reason: str | None, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        rejection_reason(reason)
    [error] = refused.value.errors
    assert (error.field, error.code) == ("reason", code)
    assert "motivo" in error.message.lower()  # Italian, for the operator


def test_a_second_decision_is_a_conflict_with_a_stable_code() -> None:
    error = request_already_decided()
    assert isinstance(error, Conflict) and error.code == "request_already_decided"


def test_text_rules() -> None:
    assert clean_line("  Via   Roma \t 3 ") == "Via Roma 3"
    assert has_control_characters("a\x00b")
    assert not has_control_characters("riga\nriga", allow_newlines=True)
    assert has_control_characters("riga\nriga")
    assert not has_control_characters("Perché l'è così – ok ✓")
