"""Registration in the portal as identity answers it now: every error at once (and passwords
never written back, with a note saying so), sex and birth data read from the codice fiscale
and shown, the citizen signed in on completion, the resend wait counted down by a script."""

import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx

REG_ID = str(uuid.uuid4())
TOKEN = "resume-token-segreto"
USER_ID = str(uuid.uuid4())
EXPIRES_AT = (datetime.now(UTC) + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
STATUS_PATH = f"/api/identity/registrations/{REG_ID}"
COMPLETE_PATH = f"{STATUS_PATH}/complete"
REGISTRATION = {
    "registration_id": REG_ID,
    "email": "anna@example.it",
    "tax_code": "BNCNNA90A41B963K",
    "expires_at": EXPIRES_AT,
    "seconds_left": 600,
    "sex": "F",
    "birth_date": "1990-01-01",
    "birth_place": "Caserta",
    "birth_province": "CE",
    "otp_resend_in_s": 57,
    "otp_resends_left": 5,
}
TYPED = {
    "first_name": "Anna",
    "last_name": "Bianchi",
    "address_street": "Via Mazzini",
    "address_number": "12",
    "postcode": "81100",
    "municipality": "Caserta",
    "phone": "3331112222",
    "otp": "123456",
}
PROFILE = {
    "user_id": USER_ID,
    "email": "anna@example.it",
    "tax_code": "BNCNNA90A41B963K",
    "first_name": "Anna",
    "last_name": "Bianchi",
    "sex": "F",
    "birth_date": "1990-01-01",
    "birth_place": "Caserta",
    "address_street": "Via Mazzini",
    "address_number": "12",
    "postcode": "81100",
    "municipality": "Caserta",
    "phone": "3331112222",
    "role": "citizen",
    "created_at": "2026-11-30T10:00:00Z",
}


def flat(response: httpx.Response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.text))


def field_error(page: str, name: str) -> str:
    assert re.search(
        rf'id="{name}"[^>]*aria-describedby="[^"]*{name}-error[^"]*" aria-invalid="true"', page
    ), name
    match = re.search(rf'id="{name}-error">(.*?)</div>', page, re.S)
    assert match, f"no message next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def summary_items(page: str) -> list[str]:
    box = re.search(r"data-error-summary.*?</ul>", page, re.S)
    assert box, "no error summary"
    return [
        html.unescape(re.sub(r"<[^>]+>", "", item)).strip()
        for item in re.findall(r"<li>(.*?)</li>", box.group(0), re.S)
    ]


def registration_open(gateway, **changes) -> None:  # noqa: ANN001, ANN003
    gateway.on("GET", STATUS_PATH, httpx.Response(200, json={**REGISTRATION, **changes}))


async def open_step_two(client, gateway, **changes) -> httpx.Response:  # noqa: ANN001, ANN003
    registration_open(gateway, **changes)
    return await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")


async def test_an_empty_first_step_shows_every_error_and_says_why_passwords_are_empty(
    client, gateway, csrf, make_problem
):  # noqa: ANN001
    errors = [
        {"field": "email", "code": "required", "message": "Inserisci l'indirizzo email."},
        {"field": "tax_code", "code": "required", "message": "Inserisci il codice fiscale."},
        {"field": "password", "code": "required", "message": "Inserisci la password."},
        {
            "field": "password_confirmation",
            "code": "required",
            "message": "Scrivi di nuovo la password per confermarla.",
        },
        {
            "field": "privacy_accepted",
            "code": "privacy_required",
            "message": "È obbligatorio accettare l'informativa privacy.",
        },
    ]
    gateway.on(
        "POST",
        "/api/identity/registrations",
        make_problem(422, "validation_error", "I dati inviati non sono validi.", errors),
    )
    response = await client.post("/registrazione", data={"csrf_token": await csrf("/registrazione")})
    assert response.status_code == 422
    for error in errors:
        assert field_error(response.text, error["field"]) == error["message"]
    # The portal asks identity with nothing left out: it is identity that names every field.
    assert gateway.body("POST", "/api/identity/registrations")["privacy_accepted"] is False
    note = "Per sicurezza la password non viene conservata: inseriscila di nuovo."
    assert re.search(rf'id="password-help"[^>]*>[^<]*{re.escape(note)}', html.unescape(response.text))
    # A message that names its field is not prefixed with the label again.
    assert "Inserisci la password." in summary_items(response.text)
    assert "Conferma password: Scrivi di nuovo la password per confermarla." in summary_items(response.text)


async def test_no_password_note_before_anything_was_refused(client) -> None:  # noqa: ANN001
    page = (await client.get("/registrazione")).text
    assert "non viene conservata" not in html.unescape(page)


async def test_step_two_shows_sex_and_birth_data_from_the_codice_fiscale_and_asks_only_the_rest(
    client, gateway
) -> None:  # noqa: ANN001
    response = await open_step_two(client, gateway)
    assert response.status_code == 200
    page = flat(response)
    assert "Dati ricavati dal codice fiscale BNCNNA90A41B963K" in re.sub(r"<[^>]+>", "", page)
    derived = dict(re.findall(r"<dt>(.*?)</dt> <dd>(.*?)</dd>", page))
    assert derived["Sesso"] == "Femminile"
    assert derived["Data di nascita"] == "01/01/1990"
    assert derived["Luogo di nascita"] == "Caserta (CE)"
    for name in ("sex", "birth_date", "birth_place"):
        assert f'name="{name}"' not in response.text
    for name in TYPED:
        assert f'name="{name}"' in response.text
    # Inclusive wording: no "se sei nato".
    assert "sei nato" not in page


async def test_a_birth_abroad_names_the_state(client, gateway) -> None:  # noqa: ANN001
    response = await open_step_two(client, gateway, birth_place="Germania", birth_province="EE")
    assert "<dd>Germania (Stato estero)</dd>" in html.unescape(response.text)


async def test_the_resend_wait_is_given_to_a_deferred_script_not_an_inline_one(client, gateway) -> None:  # noqa: ANN001
    response = await open_step_two(client, gateway)
    assert re.search(r'data-resend data-resend-in-s="57"', response.text)
    scripts = re.findall(r"<script[^>]*>", response.text)
    assert any("registrazione-codice" in s and " defer" in s for s in scripts), scripts
    assert all("src=" in s for s in scripts)  # the CSP allows no inline script
    # The waiting text is hidden until the script shows it (without the script: no stale number).
    assert re.search(r"data-resend-wait hidden", response.text)


async def test_completion_sends_no_derived_field_and_signs_the_citizen_in(client, gateway, csrf) -> None:  # noqa: ANN001
    await open_step_two(client, gateway)
    gateway.on(
        "POST",
        COMPLETE_PATH,
        httpx.Response(
            201,
            json={
                "user_id": USER_ID,
                "access_token": "access-new",
                "refresh_token": "refresh-new",
                "token_type": "Bearer",
                "expires_in": 600,
                "role": "citizen",
            },
        ),
    )
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json=PROFILE))
    response = await client.post(
        f"/registrazione/{REG_ID}", data={**TYPED, "csrf_token": await csrf(f"/registrazione/{REG_ID}")}
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert gateway.body("POST", COMPLETE_PATH) == TYPED
    # The profile is read with the new access token: the portal holds the login.
    assert gateway.calls("GET", "/api/identity/me")[-1].headers["authorization"] == "Bearer access-new"
    assert (await client.get("/registrazione")).headers["location"] == "/dashboard"
    page = flat(await client.get("/privacy"))
    assert "Registrazione completata: ti diamo il benvenuto nella tua area personale." in page
    assert "Anna Bianchi" in page


async def test_a_wrong_otp_is_shown_with_the_other_errors_in_one_sentence_each(
    client, gateway, csrf, make_problem
) -> None:  # noqa: ANN001
    await open_step_two(client, gateway)
    detail = "Codice OTP non valido. Tentativi rimasti: 4."
    gateway.on(
        "POST",
        COMPLETE_PATH,
        make_problem(
            422,
            "otp_invalid",
            detail,
            [
                {"field": "first_name", "code": "required", "message": "Inserisci il nome."},
                {
                    "field": "postcode",
                    "code": "postcode_invalid",
                    "message": "Il CAP deve essere di 5 cifre.",
                },
                {"field": "otp", "code": "otp_invalid", "message": detail},
            ],
        ),
    )
    response = await client.post(
        f"/registrazione/{REG_ID}",
        data={
            **TYPED,
            "first_name": "",
            "postcode": "811",
            "csrf_token": await csrf(f"/registrazione/{REG_ID}"),
        },
    )
    assert response.status_code == 422
    assert field_error(response.text, "first_name") == "Inserisci il nome."
    assert field_error(response.text, "postcode") == "Il CAP deve essere di 5 cifre."
    assert field_error(response.text, "otp") == detail
    assert summary_items(response.text) == ["Inserisci il nome.", "Il CAP deve essere di 5 cifre.", detail]
    assert 'value="Via Mazzini"' in response.text


async def test_a_resend_restarts_the_wait_from_identity_s_answer(client, gateway, csrf) -> None:  # noqa: ANN001
    await open_step_two(client, gateway)
    gateway.on(
        "POST",
        f"{STATUS_PATH}/otp",
        httpx.Response(202, json={"expires_at": EXPIRES_AT, "otp_resend_in_s": 60, "otp_resends_left": 4}),
    )
    response = await client.post(
        f"/registrazione/{REG_ID}/codice",
        headers={"HX-Request": "true"},
        data={"csrf_token": await csrf(f"/registrazione/{REG_ID}")},
    )
    assert 'data-resend-restart="60"' in response.text
    assert "Ti abbiamo inviato un nuovo codice OTP" in html.unescape(response.text)


async def test_a_refused_resend_restarts_the_wait_from_retry_after(
    client, gateway, csrf, make_problem
) -> None:  # noqa: ANN001
    await open_step_two(client, gateway)
    gateway.on(
        "POST",
        f"{STATUS_PATH}/otp",
        make_problem(
            429,
            "otp_resend_too_soon",
            "Puoi richiedere un nuovo codice tra 42 secondi.",
            **{"Retry-After": "42"},
        ),
    )
    response = await client.post(
        f"/registrazione/{REG_ID}/codice",
        headers={"HX-Request": "true"},
        data={"csrf_token": await csrf(f"/registrazione/{REG_ID}")},
    )
    assert 'data-resend-restart="42"' in response.text


async def test_used_up_codes_stop_the_timer_and_keep_the_button_off(
    client, gateway, csrf, make_problem
) -> None:  # noqa: ANN001
    await open_step_two(client, gateway)
    token = await csrf(f"/registrazione/{REG_ID}")
    # The last code allowed: sent, and no timer to wait for another.
    gateway.on(
        "POST",
        f"{STATUS_PATH}/otp",
        httpx.Response(202, json={"expires_at": EXPIRES_AT, "otp_resend_in_s": 400, "otp_resends_left": 0}),
    )
    sent = await client.post(
        f"/registrazione/{REG_ID}/codice", headers={"HX-Request": "true"}, data={"csrf_token": token}
    )
    assert "data-resend-used-up" in sent.text and "data-resend-restart" not in sent.text
    # Asked again: identity's Retry-After is the rest of the session, not a wait to count.
    registration_open(gateway, otp_resend_in_s=400, otp_resends_left=0)
    message = "Hai già richiesto il numero massimo di codici per questa registrazione."
    gateway.on(
        "POST",
        f"{STATUS_PATH}/otp",
        make_problem(429, "otp_resend_too_soon", message, **{"Retry-After": "400"}),
    )
    refused = await client.post(
        f"/registrazione/{REG_ID}/codice", headers={"HX-Request": "true"}, data={"csrf_token": token}
    )
    assert "data-resend-used-up" in refused.text and message in html.unescape(refused.text)
    # The page itself: the button is off and says why, with no countdown.
    page = (await client.get(f"/registrazione/{REG_ID}")).text
    assert re.search(r"data-resend-button disabled", page)
    assert message in html.unescape(page)
    assert "data-resend-in-s" not in page
