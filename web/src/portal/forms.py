"""What a form page needs to render again after a failed submission: the values typed (never
passwords), one message per field, and the messages that belong to no field."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.datastructures import FormData

from portal.api import UNAVAILABLE_MESSAGE, ApiProblem


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Messages about the whole form (wrong credentials, service unavailable).
    general: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.general)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def apply_problem(
        self, problem: ApiProblem, fields: Iterable[str], *, aliases: Mapping[str, str] | None = None
    ) -> None:
        """Field errors next to their field; the rest (and the detail, when no field matched)
        in the summary."""
        known = set(fields)
        aliases = aliases or {}
        matched = False
        for error in problem.errors:
            name = aliases.get(error.field, error.field)
            if name in known:
                self.add(name, error.message)
                matched = True
            elif error.message not in self.general:
                self.general.append(error.message)
        if not matched and problem.detail not in self.general and not problem.errors:
            self.general.append(problem.detail)

    def unavailable(self) -> None:
        self.general.append(UNAVAILABLE_MESSAGE)


def form_values(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """The submitted text of ``names``, trimmed; missing fields are empty strings."""
    values = {}
    for name in names:
        value = form.get(name)
        values[name] = value.strip() if isinstance(value, str) else ""
    return values


def non_empty(values: Mapping[str, str]) -> dict[str, str]:
    """Empty fields left out of an API body, so the service answers "Campo obbligatorio.\""""
    return {k: v for k, v in values.items() if v != ""}
