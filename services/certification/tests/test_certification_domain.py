"""The certification rules without a database: validity, street matching, statuses, rejection
reasons, sectors, the self-certification form."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from certification.domain.form import address_line, self_certification_form
from certification.domain.sectors import sector_draft
from certification.domain.statuses import RequestStatus, status_label
from certification.domain.streets import SectorStreets, normalize_street, street_key, suggest_sector
from certification.domain.validity import ValidityRule, expired_on, has_expired, local_date
from certification.settings import Settings
from kit.errors import Invalid

# Validity.


@pytest.mark.parametrize(
    ("approved_on", "until"),
    [
        (date(2026, 3, 2), date(2026, 12, 31)),
        (date(2026, 12, 31), date(2026, 12, 31)),
        (date(2027, 1, 1), date(2027, 12, 31)),
    ],
)
def test_by_default_a_certification_is_valid_until_31_december_of_its_approval_year(
    approved_on, until
) -> None:  # noqa: ANN001
    assert ValidityRule.parse("end_of_year").valid_until(approved_on) == until


def test_a_validity_in_days_counts_the_day_of_approval_as_the_first() -> None:
    rule = ValidityRule.parse("365")
    assert rule.valid_until(date(2026, 3, 2)) == date(2027, 3, 1)
    assert ValidityRule.parse("1").valid_until(date(2026, 3, 2)) == date(2026, 3, 2)


@pytest.mark.parametrize("setting", ["0", "-3", "abc", "", "12.5", "end of year"])
def test_a_validity_setting_that_is_neither_end_of_year_nor_days_is_refused(setting: str) -> None:
    with pytest.raises(ValueError):
        ValidityRule.parse(setting)
    with pytest.raises(ValueError):
        Settings(certification_valid_until=setting)


def test_the_settings_accept_end_of_year_and_days() -> None:
    assert Settings().validity == ValidityRule(None)
    assert Settings(certification_valid_until="90").validity == ValidityRule(90)


def test_a_certification_is_valid_through_its_last_day_and_expired_the_day_after() -> None:
    last = date(2026, 12, 31)
    assert not has_expired(last, date(2026, 12, 31))
    assert has_expired(last, date(2027, 1, 1))
    assert expired_on(last) == date(2027, 1, 1)


def test_days_are_counted_in_caserta_whatever_the_utc_date() -> None:
    # 23:30 UTC on 31 December is already New Year's Day in Italy.
    assert local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2027, 1, 1)
    assert local_date(datetime(2026, 7, 31, 21, 59, tzinfo=UTC)) == date(2026, 7, 31)
    assert local_date(datetime(2026, 7, 31, 22, 0, tzinfo=UTC)) == date(2026, 8, 1)


# Streets.


@pytest.mark.parametrize(
    "written",
    [
        "Via Mazzini",
        "V. Mazzini",
        "via  mazzini",
        "VIA MAZZINI",
        "V.Mazzini",
        "Via Mazzini 12",
        "Via Mazzini, 12/A",
        "via mazzini n. 4",
        " Mazzini ",
    ],
)
def test_street_names_match_whatever_the_case_spaces_abbreviation_or_house_number(written: str) -> None:
    assert street_key(written).matches(street_key("Via Mazzini"))


@pytest.mark.parametrize(
    ("written", "listed"),
    [
        ("Piazza Vanvitelli", "P.zza Vanvitelli"),
        ("Corso Trieste 45", "C.so Trieste"),
        ("Via Sant’Agostino", "Via Sant'Agostino"),
        ("Via Unita Italiana", "Via Unità Italiana"),
        ("VIA UNITÀ ITALIANA", "Via Unità Italiana"),
        ("Viale Abramo Lincoln", "V.le Abramo Lincoln"),
    ],
)
def test_accents_apostrophes_and_common_abbreviations_do_not_matter(written: str, listed: str) -> None:
    assert street_key(written).matches(street_key(listed))


@pytest.mark.parametrize(
    ("written", "listed"),
    [
        ("Viale Roma", "Via Roma"),
        ("Piazza Dante", "Via Dante"),
        ("Via San Carlo", "Via Carlo"),
        ("Via Mazzini", "Via Mazzinelli"),
    ],
)
def test_different_streets_do_not_match(written: str, listed: str) -> None:
    assert not street_key(written).matches(street_key(listed))


def test_a_street_is_normalised_to_one_spelling() -> None:
    assert normalize_street("  V.  MAZZINÌ  12 ") == "via mazzini"
    assert normalize_street("P.zza Carlo III") == "piazza carlo iii"


SECTORS = [
    SectorStreets("S1", ["Corso Trieste", "Via Mazzini"]),
    SectorStreets("S2", ["Piazza Vanvitelli", "Via Roma"]),
    SectorStreets("S3", ["Via Roma"]),  # split between two sectors
]


def test_the_suggested_sector_is_the_one_listing_the_citizens_street() -> None:
    assert suggest_sector("v. mazzini", "Caserta", SECTORS) == "S1"
    assert suggest_sector("P.zza Vanvitelli", "CASERTA", SECTORS) == "S2"
    assert suggest_sector("Corso Trieste", None, SECTORS) == "S1"


@pytest.mark.parametrize(
    ("street", "municipality"),
    [
        ("Via Garibaldi", "Caserta"),
        ("Via Roma", "Caserta"),
        ("Via Mazzini", "Maddaloni"),
        (None, "Caserta"),
        ("  ", None),
    ],
)
def test_no_sector_is_suggested_for_an_unknown_or_split_street_another_town_or_no_address(
    street: str | None, municipality: str | None
) -> None:
    assert suggest_sector(street, municipality, SECTORS) is None


# Statuses.


def test_statuses_have_their_italian_labels() -> None:
    assert status_label("pending") == "In attesa di esito"
    assert status_label("approved") == "Approvata"
    assert status_label("rejected") == "Rifiutata"
    assert status_label("expired") == "Scaduta"
    assert [s.is_decided for s in RequestStatus] == [False, True, True, True]


# Sectors.


def test_a_sector_is_cleaned_code_upper_case_spaces_collapsed() -> None:
    draft = sector_draft(" s9 ", "  Settore   9 ", None, [" Via  Roma ", "Corso Trieste"])
    assert (draft.code, draft.name, draft.description, draft.streets) == (
        "S9",
        "Settore 9",
        "",
        ("Via Roma", "Corso Trieste"),
    )


def test_every_broken_rule_of_a_sector_is_reported_by_field() -> None:
    with pytest.raises(Invalid) as refused:
        sector_draft("S 1!", "", "x" * 2001, ["Via Roma", "V. Roma", ""])
    reported = {(e.field, e.code) for e in refused.value.errors}
    assert reported == {
        ("code", "code_invalid"),
        ("name", "required"),
        ("description", "too_long"),
        ("streets.1", "street_repeated"),
        ("streets.2", "required"),
    }


def test_a_sector_needs_at_least_one_street() -> None:
    with pytest.raises(Invalid) as refused:
        sector_draft("S1", "Centro", None, [])
    assert [(e.field, e.code) for e in refused.value.errors] == [("streets", "required")]


# The self-certification form.


def test_the_form_speaks_of_the_citizen_in_the_right_gender_with_italian_dates() -> None:
    citizen = {"first_name": "Anna", "last_name": "Esposito", "sex": "F", "birth_date": date(1985, 4, 9)}
    form = self_certification_form(
        citizen,
        sector_code="S1",
        sector_name="Centro",
        today=date(2026, 11, 30),
        municipality_office="Ufficio",
    )
    assert (form.undersigned, form.born, form.declarant) == ("La sottoscritta", "nata", "La dichiarante")
    assert (form.full_name, form.birth_date, form.date) == ("Anna Esposito", "09/04/1985", "30/11/2026")
    assert form.filename == "autocertificazione-residenza-s1.pdf"


def test_without_the_citizens_details_the_form_leaves_every_personal_field_blank() -> None:
    form = self_certification_form(
        None, sector_code=None, sector_name=None, today=date(2026, 11, 30), municipality_office="Ufficio"
    )
    assert form.undersigned == "Il/La sottoscritto/a"
    assert (
        form.full_name is form.tax_code is form.birth_place is form.address_street is form.sector_name is None
    )
    assert form.filename == "autocertificazione-residenza.pdf"


def test_the_residence_address_reads_as_one_line() -> None:
    row = {
        "address_street": "Via Mazzini",
        "address_number": "12",
        "postcode": "81100",
        "municipality": "Caserta",
    }
    assert address_line(row) == "Via Mazzini 12, 81100 Caserta"
    assert address_line({"address_street": None}) is None
    assert address_line(None) is None
