"""What any text a client sends must respect before it is stored (pure functions)."""

from __future__ import annotations

import unicodedata


def clean_line(value: str) -> str:
    """Spaces trimmed and collapsed (names, codes, streets)."""
    return " ".join(value.split())


def has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
    """NUL and the other control characters, and the lone surrogates a JSON string can carry:
    PostgreSQL refuses some, nobody means any."""
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value)
