"""What a form page needs to render again after a failed submission: the values typed (never
passwords), one message per field, and the messages that belong to no field; and `submit`, the
one way a page sends a form to a service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from starlette.datastructures import FormData, UploadFile

from portal.api import UNAVAILABLE_MESSAGE, ApiProblem, FileUpload, ServiceUnavailable

# Never written back into a page, whatever a route puts in the values.
SECRET_FIELDS = frozenset({"password", "password_confirmation"})
# A browser never fills a file input again: after a refused submission the citizen is told.
FILES_AGAIN = (
    "I file allegati non vengono conservati quando la richiesta non viene inviata: "
    "selezionali di nuovo prima di inviare."
)

T = TypeVar("T")


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Messages about the whole form (wrong credentials, service unavailable).
    general: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.values = {k: v for k, v in self.values.items() if k not in SECRET_FIELDS}

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

    def unavailable(self, message: str = UNAVAILABLE_MESSAGE) -> None:
        self.general.append(message)


# A page's own placement of the problems the default (`FormState.apply_problem`) does not fit,
# e.g. the login's one message whatever went wrong: True when it placed the problem.
Explain = Callable[[ApiProblem, FormState], bool]


class Submitted(Generic[T]):
    """What became of a form sent to a service."""

    def __init__(
        self, value: T | None = None, *, problem: ApiProblem | None = None, unavailable: bool = False
    ) -> None:
        self._value = value
        self.problem = problem
        self.unavailable = unavailable

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.unavailable

    @property
    def result(self) -> T:
        """The service's answer; only after checking `ok`."""
        if not self.ok:
            raise RuntimeError("the form was not accepted: check `ok` first")
        return cast(T, self._value)

    @property
    def status_code(self) -> int:
        """The status of the page shown again: the service's 4xx, or 503."""
        if self.unavailable:
            return 503
        return self.problem.status if self.problem else 200


async def submit(
    form: FormState,
    action: Awaitable[T],
    fields: Iterable[str],
    *,
    aliases: Mapping[str, str] | None = None,
    explain: Explain | None = None,
    unavailable_message: str = UNAVAILABLE_MESSAGE,
) -> Submitted[T]:
    """Await ``action`` (a call of a service client). If the service refuses, its messages go
    on ``form`` (next to ``fields``, or in the summary); if it does not answer, the summary
    says so. The values typed stay in ``form`` either way, for the page to show them again."""
    try:
        return Submitted(await action)
    except ServiceUnavailable:
        form.unavailable(unavailable_message)
        return Submitted(unavailable=True)
    except ApiProblem as problem:
        if explain is None or not explain(problem, form):
            form.apply_problem(problem, fields, aliases=aliases)
        return Submitted(problem=problem)


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


def uploaded(form: FormData, name: str) -> FileUpload | None:
    """The file chosen for ``name``, or None when none was (browsers then send an empty part
    without a file name)."""
    value = form.get(name)
    if isinstance(value, UploadFile) and value.filename:
        return FileUpload.from_upload(value)
    return None
