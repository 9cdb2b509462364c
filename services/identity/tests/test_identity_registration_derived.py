"""Registration as the portal does it now: sex and birth data read from the codice fiscale,
every error reported at once, the citizen signed in on completion."""

from __future__ import annotations

from datetime import date

import pytest
from codicefiscale import codicefiscale

from identity.domain.tax_code import birth_details

CONTACTS = {
    "address_street": "Via Roma",
    "address_number": "3",
    "postcode": "81100",
    "municipality": "Caserta",
}


def field_codes(response) -> dict[str, str]:  # noqa: ANN001
    return {e["field"]: e["code"] for e in response.json().get("errors", [])}


def code_of(born: str, place: str = "Caserta", sex: str = "F") -> str:
    return codicefiscale.encode(
        lastname="Rossi", firstname="Maria", gender=sex, birthdate=born, birthplace=place
    )


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("1980-03-15", date(1980, 3, 15)),
        ("2005-06-01", date(2005, 6, 1)),  # 21 on the day: this century
        # The code says "10": a child of 2010 cannot sign a self-certification, so 1910.
        ("1910-06-01", date(1910, 6, 1)),
    ],
)
def test_the_birth_date_takes_the_century_that_makes_the_holder_an_adult(born: str, expected: date) -> None:
    assert birth_details(code_of(born), date(2026, 11, 30)).birth_date == expected


def test_sex_and_birth_place_are_read_from_the_code_abroad_too() -> None:
    at_home = birth_details(code_of("1980-03-15", "Caserta", "F"), date(2026, 11, 30))
    assert (at_home.sex, at_home.birth_place, at_home.birth_province) == ("F", "Caserta", "CE")
    assert not at_home.born_abroad
    abroad = birth_details(code_of("1975-01-02", "Germania", "M"), date(2026, 11, 30))
    assert (abroad.sex, abroad.birth_place, abroad.birth_province) == ("M", "Germania", "EE")
    assert abroad.born_abroad


def test_an_omocode_gives_the_same_details_as_its_original() -> None:
    code = code_of("1980-03-15", "Marcianise")
    omocode = next(c for c in codicefiscale.decode(code)["omocodes"] if c != code)
    assert birth_details(omocode, date(2026, 11, 30)) == birth_details(code, date(2026, 11, 30))


async def test_the_session_shows_what_the_code_says_and_when_a_new_otp_may_be_asked(
    identity,  # noqa: ANN001
    people,  # noqa: ANN001
) -> None:
    person = people(birth_place="Germania")
    registration_id = (await identity.start(person)).json()["registration_id"]
    status = await identity.client.get(
        identity.url(f"/registrations/{registration_id}"), headers=identity.session_headers(registration_id)
    )
    assert status.status_code == 200
    body = status.json()
    assert (body["sex"], body["birth_date"]) == (person.sex, person.birth_date.isoformat())
    assert (body["birth_place"], body["birth_province"]) == ("Germania", "EE")
    assert 55 <= body["otp_resend_in_s"] <= 60
    assert body["otp_resends_left"] == identity.settings.otp_resend_max


async def test_completing_without_sex_and_birth_data_stores_the_codes_and_signs_in(identity, people) -> None:  # noqa: ANN001
    person = people(birth_place="Marcianise")
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    body = {"otp": otp, "first_name": person.first_name, "last_name": person.last_name, **CONTACTS}
    completed = await identity.complete(registration_id, body)
    assert completed.status_code == 201, completed.text
    answer = completed.json()
    assert answer["role"] == "citizen" and answer["token_type"] == "Bearer"

    # The tokens are a login: the profile opens with them, the refresh token rotates.
    me = await identity.client.get(identity.url("/me"), headers=identity.bearer(answer["access_token"]))
    assert me.status_code == 200
    profile = me.json()
    assert profile["user_id"] == answer["user_id"]
    assert (profile["sex"], profile["birth_date"]) == (person.sex, person.birth_date.isoformat())
    assert profile["birth_place"] == "Marcianise"
    refreshed = await identity.client.post(
        identity.url("/auth/refresh"), json={"refresh_token": answer["refresh_token"]}
    )
    assert refreshed.status_code == 200
    [registered] = await identity.payloads("identity.user.registered", user_id=answer["user_id"])
    assert registered["birth_place"] == "Marcianise" and registered["sex"] == person.sex


async def test_an_empty_first_step_names_every_field_at_once(identity) -> None:  # noqa: ANN001
    response = await identity.client.post(identity.url("/registrations"), json={})
    assert response.status_code == 422
    assert field_codes(response) == {
        "email": "required",
        "tax_code": "required",
        "password": "required",
        "password_confirmation": "required",
        "privacy_accepted": "privacy_required",
    }


async def test_a_wrong_otp_is_reported_with_the_other_fields_errors_and_counted(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    wrong = f"{(int(otp) + 1) % 1_000_000:06d}"
    body = {"otp": wrong, "first_name": "", "last_name": person.last_name, **CONTACTS, "postcode": "811"}
    response = await identity.complete(registration_id, body)
    assert response.status_code == 422
    assert response.json()["code"] == "otp_invalid"
    # In the form's order: first name, postcode, then the code.
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("first_name", "required"),
        ("postcode", "postcode_invalid"),
        ("otp", "otp_invalid"),
    ]
    assert response.json()["detail"] == "Codice OTP non valido. Tentativi rimasti: 4."


async def test_an_empty_anagrafica_names_every_field_and_costs_no_otp_attempt(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    empty = await identity.complete(registration_id, {})
    assert empty.status_code == 422
    assert field_codes(empty) == {
        "first_name": "required",
        "last_name": "required",
        "address_street": "required",
        "address_number": "required",
        "postcode": "required",
        "municipality": "required",
        "otp": "required",
    }
    wrong = f"{(int(otp) + 1) % 1_000_000:06d}"
    after = await identity.complete(registration_id, person.complete_body(wrong))
    assert after.json()["detail"] == "Codice OTP non valido. Tentativi rimasti: 4."


async def test_a_right_otp_with_a_surname_that_disagrees_is_kept_for_the_correction(identity, person) -> None:  # noqa: ANN001
    registration_id = (await identity.start(person)).json()["registration_id"]
    otp = await identity.otp(registration_id)
    body = {"otp": otp, "first_name": person.first_name, "last_name": "Zzyzx", **CONTACTS}
    refused = await identity.complete(registration_id, body)
    assert (refused.status_code, refused.json()["code"]) == (422, "tax_code_mismatch")
    assert field_codes(refused) == {"last_name": "tax_code_mismatch"}
    completed = await identity.complete(registration_id, {**body, "last_name": person.last_name})
    assert completed.status_code == 201
