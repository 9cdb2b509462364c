"""Plates as typed in searches (the general text rules are ``kit.text``)."""

from __future__ import annotations

import re

_PLATE_SEPARATORS = re.compile(r"[\s\-.·]+")
_PLATE = re.compile(r"^[A-Z0-9]{1,10}$")


def normalize_plate(value: str) -> str | None:
    """A plate as vehicles stores it (upper case, no spaces, dashes or dots), or None when it
    cannot be one (a search for it finds nothing)."""
    plate = _PLATE_SEPARATORS.sub("", value.upper())
    return plate if _PLATE.match(plate) else None
