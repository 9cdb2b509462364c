"""Domain errors: what a use case raises when it refuses something. They know nothing of
HTTP; one handler at the edge (``kit.problems``) turns each kind into problem+json."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldError:
    """A rule broken by one field of a request (a problem's ``errors`` entry)."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class DomainError(Exception):
    """Base of every refusal. ``code`` is stable (clients test it), ``message`` Italian.

    ``keep_changes``: the unit of work commits what the use case wrote before refusing (a wrong
    OTP attempt is counted although the request fails). Everything else is rolled back.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        errors: Sequence[FieldError] = (),
        keep_changes: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = list(errors)
        self.keep_changes = keep_changes

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class Invalid(DomainError):
    """The input breaks a rule; ``errors`` says which field and why."""

    def __init__(
        self,
        errors: Sequence[FieldError],
        *,
        code: str = "validation_error",
        message: str = "I dati inviati non sono validi.",
        keep_changes: bool = False,
    ) -> None:
        super().__init__(code, message, errors=errors, keep_changes=keep_changes)


class BadRequest(DomainError):
    """The request cannot be acted on as sent (a link that is not valid), with no field to blame."""


class Unavailable(DomainError):
    """Not a refusal: something the use case needs is not working now; try again later."""


class NotFound(DomainError):
    """Nothing of that id that this caller may see (also what another citizen's id gets)."""


class Conflict(DomainError):
    """The state does not allow it: already in use, already decided, one pending at a time."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Unauthenticated(DomainError):
    """Credentials or a token that do not prove who the caller is."""


class Gone(DomainError):
    """It existed but is over (an expired registration session or link)."""


class Locked(DomainError):
    """Closed after too many wrong attempts."""


class TooMany(DomainError):
    """Too many attempts: try again after ``retry_after_s`` seconds."""

    def __init__(self, code: str, message: str, *, retry_after_s: int, keep_changes: bool = False) -> None:
        super().__init__(code, message, keep_changes=keep_changes)
        self.retry_after_s = max(1, int(retry_after_s))
