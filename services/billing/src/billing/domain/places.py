"""Italian municipalities and provinces, from the ISTAT list that python-codicefiscale ships:
the province of a municipality (to prefill the invoice form) and the province abbreviations
that exist (to check the one a citizen types)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from codicefiscale import data

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def _key(name: str) -> str:
    """``"Sant'Agata de' Goti"`` → ``"sant agata de goti"``: case, accents and punctuation aside."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _NOT_ALNUM.sub(" ", plain.casefold()).strip()


@cache
def _active_provinces_by_name() -> dict[str, frozenset[str]]:
    provinces: dict[str, set[str]] = {}
    for municipality in data.get_municipalities_data():
        if municipality.get("active") and municipality.get("province"):
            provinces.setdefault(_key(municipality["name"]), set()).add(municipality["province"])
    return {name: frozenset(found) for name, found in provinces.items()}


@cache
def provinces() -> frozenset[str]:
    """The abbreviations of today's provinces (and metropolitan cities): ``CE``, ``NA``, …"""
    return frozenset().union(*_active_provinces_by_name().values())


def province_of(municipality: str | None) -> str | None:
    """The province of a municipality named so, when exactly one municipality of today bears
    that name; None otherwise (unknown, or a name two provinces share)."""
    if not municipality:
        return None
    found = _active_provinces_by_name().get(_key(municipality), frozenset())
    return next(iter(found)) if len(found) == 1 else None
