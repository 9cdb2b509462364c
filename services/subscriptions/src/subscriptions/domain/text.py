"""What any text a client sends must respect before it is stored or searched for."""

from __future__ import annotations

import re
import unicodedata


def clean_line(value: str) -> str:
    """Spaces trimmed and collapsed (names, codes)."""
    return " ".join(value.split())


def has_control_characters(value: str, *, allow_newlines: bool = False) -> bool:
    """NUL and the other control characters: PostgreSQL refuses the first, nobody means any."""
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in value)


_PLATE_SEPARATORS = re.compile(r"[\s\-.·]+")
_PLATE = re.compile(r"^[A-Z0-9]{1,10}$")


def normalize_plate(value: str) -> str | None:
    """A plate as vehicles stores it (upper case, no spaces, dashes or dots), or None when it
    cannot be one (a search for it finds nothing)."""
    plate = _PLATE_SEPARATORS.sub("", value.upper())
    return plate if _PLATE.match(plate) else None
