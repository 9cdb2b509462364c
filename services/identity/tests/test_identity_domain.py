"""The identity rules on their own: no database, no HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from codicefiscale import codicefiscale

from identity.domain import codes
from identity.domain.emails import InvalidEmail, email_errors, normalize_email
from identity.domain.passwords import common_passwords, new_password_errors, password_errors
from identity.domain.personal_details import contact_errors, personal_details_errors
from identity.domain.registration import OtpPolicy, attempts_left, is_locked, privacy_errors, resend_wait_s
from identity.domain.tax_code import (
    DeclaredDetails,
    is_valid_tax_code,
    normalize_tax_code,
    tax_code_mismatches,
)
from identity.domain.throttle import Bucket, ThrottlePolicy, after_failure, retry_after_s

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
MARIO = DeclaredDetails(
    last_name="Rossi", first_name="Mario", sex="M", birth_date=date(1980, 5, 12), birth_place="Caserta"
)
MARIO_CF = codicefiscale.encode(
    lastname="Rossi", firstname="Mario", gender="M", birthdate="1980-05-12", birthplace="Caserta"
)


def codes_of(errors) -> list[str]:  # noqa: ANN001
    return [e.code for e in errors]


# Passwords


def test_the_common_password_list_holds_ten_thousand_entries() -> None:
    assert len(common_passwords()) == 10_000
    assert {"123456", "password", "qwerty123"} <= common_passwords()


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("abc1234", ["password_too_short"]),
        ("abcdefgh", ["password_no_digit"]),
        ("12345678", ["password_no_letter"]),
        ("a1" * 65, ["password_too_long"]),
        ("Password1", ["password_common"]),
        ("QWERTY123", ["password_common"]),
        ("Volturno-2026", []),
        ("reggia di caserta 1752", []),
    ],
)
def test_password_policy(password: str, expected: list[str]) -> None:
    assert codes_of(password_errors(password)) == expected


def test_a_different_confirmation_is_refused_on_its_own_field() -> None:
    errors = new_password_errors("Volturno-2026", "Volturno-2025")
    assert [(e.field, e.code, e.message) for e in errors] == [
        ("password_confirmation", "password_mismatch", "Le password non coincidono.")
    ]


# E-mail


def test_email_is_normalised_with_the_domain_in_lower_case() -> None:
    assert normalize_email("  Mario.Rossi@Example.IT ") == "Mario.Rossi@example.it"


@pytest.mark.parametrize("value", ["mario", "mario@", "@example.it", "mario rossi@example.it", "a@b@c.it"])
def test_malformed_email_is_refused(value: str) -> None:
    with pytest.raises(InvalidEmail):
        normalize_email(value)
    assert codes_of(email_errors(value)) == ["email_invalid"]


# Codice fiscale


def test_a_real_codice_fiscale_is_valid_in_any_case_and_spacing() -> None:
    assert is_valid_tax_code(MARIO_CF)
    assert is_valid_tax_code(MARIO_CF.lower())
    assert is_valid_tax_code(f" {MARIO_CF[:6]} {MARIO_CF[6:]} ")
    assert normalize_tax_code(MARIO_CF.lower()) == MARIO_CF


def test_a_wrong_check_character_is_invalid() -> None:
    wrong = MARIO_CF[:-1] + ("A" if MARIO_CF[-1] != "A" else "B")
    assert not is_valid_tax_code(wrong)


@pytest.mark.parametrize("value", ["", "RSSMRA80E12B963", "RSSMRA80E12B963XX", "RSSMRA80E12B963!"])
def test_a_malformed_codice_fiscale_is_invalid(value: str) -> None:
    assert not is_valid_tax_code(value)


def test_an_omocode_is_valid_and_agrees_with_the_same_details() -> None:
    omocode = next(c for c in codicefiscale.decode(MARIO_CF)["omocodes"] if c != MARIO_CF)
    assert codicefiscale.is_omocode(omocode)
    assert is_valid_tax_code(omocode)
    assert tax_code_mismatches(omocode, MARIO) == []


def test_matching_details_give_no_mismatch() -> None:
    assert tax_code_mismatches(MARIO_CF, MARIO) == []
    lower_case = DeclaredDetails("rossi", "mario", "m", date(1980, 5, 12), "caserta")
    assert tax_code_mismatches(MARIO_CF, lower_case) == []


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"last_name": "Bianchi"}, "last_name", "Il cognome non corrisponde al codice fiscale."),
        ({"first_name": "Luigi"}, "first_name", "Il nome non corrisponde al codice fiscale."),
        ({"sex": "F"}, "sex", "Il sesso non corrisponde al codice fiscale."),
        (
            {"birth_date": date(1980, 5, 13)},
            "birth_date",
            "La data di nascita non corrisponde al codice fiscale.",
        ),
        (
            {"birth_date": date(1981, 5, 12)},
            "birth_date",
            "La data di nascita non corrisponde al codice fiscale.",
        ),
        ({"birth_place": "Napoli"}, "birth_place", "Il luogo di nascita non corrisponde al codice fiscale."),
        (
            {"birth_place": "Atlantide"},
            "birth_place",
            "Il luogo di nascita non corrisponde al codice fiscale.",
        ),
    ],
)
def test_each_disagreeing_part_is_named(change: dict, field: str, message: str) -> None:
    details = DeclaredDetails(**{**MARIO.__dict__, **change})
    mismatches = tax_code_mismatches(MARIO_CF, details)
    assert [(m.field, m.code, m.message) for m in mismatches] == [(field, "tax_code_mismatch", message)]


def test_a_woman_born_abroad_agrees_with_her_code() -> None:
    code = codicefiscale.encode(
        lastname="Müller", firstname="Anna", gender="F", birthdate="1990-01-31", birthplace="Germania"
    )
    details = DeclaredDetails("Müller", "Anna", "F", date(1990, 1, 31), "Germania")
    assert tax_code_mismatches(code, details) == []
    assert [
        m.field for m in tax_code_mismatches(code, DeclaredDetails(**{**details.__dict__, "sex": "M"}))
    ] == ["sex"]


def test_several_parts_disagreeing_give_one_error_each() -> None:
    details = DeclaredDetails("Bianchi", "Mario", "F", date(1980, 5, 12), "Napoli")
    assert [m.field for m in tax_code_mismatches(MARIO_CF, details)] == ["last_name", "sex", "birth_place"]


# Anagrafica


def test_valid_personal_details_pass() -> None:
    assert (
        personal_details_errors(
            first_name="Maria Grazia",
            last_name="D'Angelo",
            sex="F",
            birth_date=date(1975, 3, 1),
            birth_place="San Nicola la Strada",
            today=NOW.date(),
        )
        == []
    )


def test_future_birth_date_and_digits_in_names_are_refused() -> None:
    errors = personal_details_errors(
        first_name="M4rio",
        last_name="",
        sex="X",
        birth_date=date(2030, 1, 1),
        birth_place="",
        today=NOW.date(),
    )
    assert {(e.field, e.code) for e in errors} == {
        ("first_name", "name_invalid"),
        ("last_name", "required"),
        ("sex", "sex_invalid"),
        ("birth_date", "birth_date_invalid"),
        ("birth_place", "required"),
    }


def test_contact_rules() -> None:
    assert contact_errors({"postcode": "81100", "phone": "+39 0823 123456"}) == []
    assert contact_errors({"phone": None}) == []
    errors = contact_errors({"postcode": "8110", "phone": "abc", "address_street": None})
    assert {(e.field, e.code) for e in errors} == {
        ("postcode", "postcode_invalid"),
        ("phone", "phone_invalid"),
        ("address_street", "required"),
    }


# Registration session


POLICY = OtpPolicy(max_attempts=5, resend_interval=timedelta(seconds=60), max_resends=5)


def test_five_wrong_otps_lock_the_session() -> None:
    assert [attempts_left(n, POLICY) for n in range(6)] == [5, 4, 3, 2, 1, 0]
    assert not is_locked(4, POLICY)
    assert is_locked(5, POLICY)


def test_resend_waits_for_the_interval_then_stops_at_the_maximum() -> None:
    expires = NOW + timedelta(minutes=10)
    kw = {"expires_at": expires, "policy": POLICY}
    assert resend_wait_s(last_sent_at=NOW, resends=0, now=NOW + timedelta(seconds=15), **kw) == 45
    assert resend_wait_s(last_sent_at=NOW, resends=0, now=NOW + timedelta(seconds=60), **kw) is None
    assert resend_wait_s(last_sent_at=NOW, resends=5, now=NOW + timedelta(minutes=4), **kw) == 360


def test_privacy_must_be_accepted_in_its_current_version() -> None:
    assert [e.message for e in privacy_errors(False, None, "2026-01")] == [
        "È obbligatorio accettare l'informativa privacy."
    ]
    assert privacy_errors(True, None, "2026-01") == []
    assert privacy_errors(True, "2026-01", "2026-01") == []
    assert codes_of(privacy_errors(True, "2025-01", "2026-01")) == ["privacy_outdated"]


# Secrets


def test_otps_are_six_digits_and_digests_are_keyed_and_bound_to_their_purpose() -> None:
    otps = {codes.new_otp() for _ in range(200)}
    assert all(len(o) == 6 and o.isdigit() for o in otps)
    assert len(otps) > 150
    d = codes.digest(b"k1", "otp:1", "123456")
    assert codes.matches(b"k1", "otp:1", "123456", d)
    assert not codes.matches(b"k2", "otp:1", "123456", d)
    assert not codes.matches(b"k1", "otp:2", "123456", d)
    assert "123456" not in d


# Throttling


THROTTLE = ThrottlePolicy(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=15))


def test_failures_within_the_window_block_the_key() -> None:
    bucket = None
    for i in range(2):
        bucket = after_failure(bucket, NOW + timedelta(seconds=i), THROTTLE)
        assert retry_after_s(bucket, NOW + timedelta(seconds=i)) is None
    bucket = after_failure(bucket, NOW + timedelta(seconds=2), THROTTLE)
    assert retry_after_s(bucket, NOW + timedelta(seconds=2)) == 900
    assert retry_after_s(bucket, NOW + timedelta(seconds=902)) is None


def test_failures_in_an_old_window_are_forgotten() -> None:
    old = Bucket(failures=2, window_started_at=NOW - timedelta(minutes=20))
    bucket = after_failure(old, NOW, THROTTLE)
    assert bucket == Bucket(failures=1, window_started_at=NOW)


# Signing keys


def test_a_new_key_is_published_before_it_signs_and_the_old_one_after() -> None:
    from identity.domain.key_schedule import ScheduledKey, published_kids, signing_kid

    keep = timedelta(hours=24)
    old = ScheduledKey("old", NOW - timedelta(days=30))
    new = ScheduledKey("new", NOW + timedelta(minutes=15))
    assert signing_kid([old, new], NOW) == "old"
    assert published_kids([old, new], NOW, keep) == {"old", "new"}
    later = NOW + timedelta(minutes=16)
    assert signing_kid([old, new], later) == "new"
    assert published_kids([old, new], later, keep) == {"old", "new"}
    assert published_kids([old, new], NOW + timedelta(days=2), keep) == {"new"}
    assert signing_kid([new], NOW) is None


# Settings


def test_production_refuses_the_development_secret() -> None:
    import secrets

    from pydantic import ValidationError

    from identity.settings import Settings

    # Everything else as production sets it (kit.settings refuses any development value).
    production = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://identity:anything@127.0.0.1:5432/parking_identity",
        "amqp_url": f"amqp://identity:{secrets.token_urlsafe(16)}@127.0.0.1:5672/",
        "client_address_secret": secrets.token_urlsafe(48),
    }
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(**production)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(**production, secret_key="short")
    assert Settings(**production, secret_key="x" * 40).environment == "production"
