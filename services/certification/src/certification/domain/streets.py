"""Which sector a residence address falls in: street names compared as people write them
("V. Mazzini", "via  mazzini", "VIA MAZZINI 12" and "Via Mazzini" are one street)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MUNICIPALITY = "caserta"

# Street kinds and the abbreviations found in addresses, matched on the normalised text
# (punctuation already turned into spaces: "V.le" is "v le"). Longest first.
_KINDS: dict[str, tuple[str, ...]] = {
    "viale": ("viale", "v le", "vle"),
    "vicolo": ("vicolo", "vico", "v lo", "vlo"),
    "via": ("via", "v"),
    "corso": ("corso", "c so", "cso"),
    "piazzale": ("piazzale", "p le", "ple"),
    "piazzetta": ("piazzetta", "p tta", "ptta"),
    "piazza": ("piazza", "p zza", "pzza", "p za", "pza"),
    "largo": ("largo", "l go", "lgo"),
    "strada": ("strada", "str"),
    "traversa": ("traversa", "trav"),
    "contrada": ("contrada", "c da", "cda"),
    "parco": ("parco",),
    "rione": ("rione",),
    "salita": ("salita",),
    "galleria": ("galleria",),
    "vialetto": ("vialetto",),
}
_KIND_PREFIX = re.compile(
    r"^(?P<kind>"
    + "|".join(
        re.escape(alias)
        for alias in sorted((a for aliases in _KINDS.values() for a in aliases), key=len, reverse=True)
    )
    + r")\s+(?P<rest>.+)$"
)
_KIND_OF_ALIAS = {alias: kind for kind, aliases in _KINDS.items() for alias in aliases}
_PARENTHESES = re.compile(r"\([^)]*\)")
_PUNCTUATION = re.compile(r"[.,;:'’`´\"“”«»\-–—_]+")
# A house number at the end: "12", "12/A", "12 bis", "n. 12", "snc" (senza numero civico).
_HOUSE_NUMBER = re.compile(
    r"(?:\s+(?:n|nr|num|numero|civ|civico))?\s+(?:\d+(?:\s*/\s*\w+|\s*[a-z]|\s+bis|\s+ter)?|snc)$"
)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    without_accents = "".join(c for c in decomposed if not unicodedata.combining(c))
    lowered = _PARENTHESES.sub(" ", without_accents.casefold())
    return " ".join(_PUNCTUATION.sub(" ", lowered).split())


@dataclass(frozen=True)
class StreetKey:
    """A street as compared: its kind (via, corso, piazza…) when written, and its name."""

    kind: str | None
    name: str

    def matches(self, other: StreetKey) -> bool:
        """Same name, and the same kind unless one of the two leaves it out ("Mazzini")."""
        if self.name != other.name:
            return False
        return self.kind is None or other.kind is None or self.kind == other.kind


def street_key(street: str) -> StreetKey:
    text = _without_house_number(_plain(street))
    match = _KIND_PREFIX.match(text)
    if match is None:
        return StreetKey(None, text)
    return StreetKey(_KIND_OF_ALIAS[match.group("kind")], match.group("rest"))


def _without_house_number(text: str) -> str:
    stripped = _HOUSE_NUMBER.sub("", text).strip()
    return stripped or text


def normalize_street(street: str) -> str:
    """One spelling per street: ``"V. Mazzini 12"`` → ``"via mazzini"``."""
    key = street_key(street)
    return f"{key.kind} {key.name}" if key.kind else key.name


@dataclass(frozen=True)
class SectorStreets:
    code: str
    streets: Sequence[str]


def in_municipality(municipality: str | None) -> bool:
    """Unknown counts as Caserta: the portal's addresses are the municipality's by default."""
    return municipality is None or not municipality.strip() or _plain(municipality) == MUNICIPALITY


def sectors_covering(street: str, sectors: Iterable[SectorStreets]) -> list[str]:
    """Codes of the sectors that list ``street``."""
    wanted = street_key(street)
    if not wanted.name:
        return []
    return [sector.code for sector in sectors if any(wanted.matches(street_key(s)) for s in sector.streets)]


def suggest_sector(
    address_street: str | None, municipality: str | None, sectors: Iterable[SectorStreets]
) -> str | None:
    """The one sector whose streets cover the address, or None: unknown address, another
    municipality, no sector, or a street split between sectors (the citizen chooses)."""
    if not address_street or not address_street.strip() or not in_municipality(municipality):
        return None
    codes = sectors_covering(address_street, sectors)
    return codes[0] if len(codes) == 1 else None
