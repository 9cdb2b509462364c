import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

REG_ID = str(uuid.uuid4())
TOKEN = "resume-token-segreto"
EXPIRES_AT = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
REGISTRATION = {
    "registration_id": REG_ID,
    "email": "anna@example.it",
    "tax_code": "BNCNNA90A41B963K",
    "expires_at": EXPIRES_AT,
    "seconds_left": 3600,
    "sex": "F",
    "birth_date": "1990-01-01",
    "birth_place": "Caserta",
    "birth_province": "CE",
    "otp_resend_in_s": 0,
    "otp_resends_left": 5,
}
RESENT = {"expires_at": EXPIRES_AT, "otp_resend_in_s": 60, "otp_resends_left": 4}
DETAILS = {
    "first_name": "Anna",
    "last_name": "Bianchi",
    "address_street": "Via Mazzini",
    "address_number": "12",
    "postcode": "81100",
    "municipality": "Caserta",
    "phone": "3331112222",
    "otp": "123456",
}


def text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def field_error(page: str, name: str) -> str:
    """The message next to field ``name``, checking that the field points at it."""
    assert re.search(
        rf'id="{name}"[^>]*aria-describedby="[^"]*{name}-error[^"]*" aria-invalid="true"', page
    ), name
    match = re.search(rf'id="{name}-error">(.*?)</div>', page, re.S)
    assert match, f"no message next to {name}"
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


@pytest.fixture
def started(gateway):
    gateway.on(
        "POST",
        "/api/identity/registrations",
        httpx.Response(
            201,
            json={
                "registration_id": REG_ID,
                "resume_token": TOKEN,
                "expires_at": REGISTRATION["expires_at"],
                "email": "anna@example.it",
            },
        ),
    )
    gateway.on("GET", f"/api/identity/registrations/{REG_ID}", httpx.Response(200, json=REGISTRATION))


async def _start(client, csrf, **overrides):
    data = {
        "email": "anna@example.it",
        "tax_code": "bncnna90a41b963k",
        "password": "Segreta123",
        "password_confirmation": "Segreta123",
        "privacy_accepted": "1",
        "csrf_token": await csrf("/registrazione"),
    }
    data.update(overrides)
    return await client.post("/registrazione", data={k: v for k, v in data.items() if v is not None})


async def test_start_page_labels_every_field_with_the_manual_words(client):
    page = (await client.get("/registrazione")).text
    for label, name in [
        ("Email", "email"),
        ("Codice fiscale", "tax_code"),
        ("Password", "password"),
        ("Conferma password", "password_confirmation"),
        ("Ho letto e accetto l&#39;informativa privacy", "privacy_accepted"),
    ]:
        assert re.search(rf'<label for="{name}"[^>]*>{re.escape(label)}</label>', page), label
        assert f'id="{name}" name="{name}"' in page
    assert re.search(r'<button type="submit"[^>]*>Registrati</button>', page)
    assert 'href="/privacy"' in page


async def test_privacy_page_shows_the_version_the_portal_sends(client, gateway, csrf, started):
    await _start(client, csrf)
    sent = gateway.body("POST", "/api/identity/registrations")["privacy_version"]
    privacy = await client.get("/privacy")
    assert privacy.status_code == 200
    assert f"Versione {sent}" in privacy.text and "Informativa privacy" in privacy.text


async def test_start_sends_the_form_to_identity_and_opens_the_anagrafica_step(client, gateway, csrf, started):
    response = await _start(client, csrf)
    assert response.status_code == 303
    assert response.headers["location"] == f"/registrazione/{REG_ID}?t={TOKEN}"
    body = gateway.body("POST", "/api/identity/registrations")
    assert body == {
        "email": "anna@example.it",
        "tax_code": "BNCNNA90A41B963K",
        "password": "Segreta123",
        "password_confirmation": "Segreta123",
        "privacy_accepted": True,
        "privacy_version": "2026-01",
    }


async def test_email_in_use_is_shown_next_to_email_and_values_are_kept_but_not_passwords(
    client, gateway, csrf, make_problem
):
    message = "L'indirizzo email è già associato a un altro account."
    gateway.on(
        "POST",
        "/api/identity/registrations",
        make_problem(
            409, "email_in_use", message, [{"field": "email", "code": "email_in_use", "message": message}]
        ),
    )
    response = await _start(client, csrf)
    assert response.status_code == 409
    assert field_error(response.text, "email") == message
    assert 'role="alert"' in response.text and "data-error-summary" in response.text
    assert 'value="anna@example.it"' in response.text and 'value="BNCNNA90A41B963K"' in response.text
    assert "Segreta123" not in response.text
    assert re.search(r'id="privacy_accepted"[^>]*checked', response.text)


async def test_tax_code_in_use_is_shown_next_to_the_codice_fiscale(client, gateway, csrf, make_problem):
    message = "Il codice fiscale è già associato a un altro account."
    gateway.on(
        "POST",
        "/api/identity/registrations",
        make_problem(
            409,
            "tax_code_in_use",
            message,
            [{"field": "tax_code", "code": "tax_code_in_use", "message": message}],
        ),
    )
    response = await _start(client, csrf)
    assert field_error(response.text, "tax_code") == message


async def test_privacy_not_accepted_is_sent_as_false_and_shown_next_to_the_checkbox(
    client, gateway, csrf, make_problem
):
    message = "È obbligatorio accettare l'informativa privacy."
    gateway.on(
        "POST",
        "/api/identity/registrations",
        make_problem(
            422,
            "validation_error",
            "I dati inviati non sono validi.",
            [{"field": "privacy_accepted", "code": "privacy_required", "message": message}],
        ),
    )
    response = await _start(client, csrf, privacy_accepted=None)
    assert gateway.body("POST", "/api/identity/registrations")["privacy_accepted"] is False
    assert field_error(response.text, "privacy_accepted") == message


async def test_several_field_errors_each_go_next_to_their_field(client, gateway, csrf, make_problem):
    gateway.on(
        "POST",
        "/api/identity/registrations",
        make_problem(
            422,
            "validation_error",
            "I dati inviati non sono validi.",
            [
                {
                    "field": "password",
                    "code": "password_weak",
                    "message": "La password deve contenere almeno un numero.",
                },
                {
                    "field": "password_confirmation",
                    "code": "mismatch",
                    "message": "Le password non coincidono.",
                },
            ],
        ),
    )
    response = await _start(client, csrf)
    assert field_error(response.text, "password") == "La password deve contenere almeno un numero."
    assert field_error(response.text, "password_confirmation") == "Le password non coincidono."
    assert '<a href="#password">' in response.text  # the summary links to the field


async def test_unavailable_identity_keeps_what_was_typed(client, gateway, csrf):
    gateway.on("POST", "/api/identity/registrations", httpx.Response(503, text="down"), contract=False)
    response = await _start(client, csrf)
    assert response.status_code == 503
    assert "Il servizio non è al momento disponibile" in text(response)
    assert 'value="anna@example.it"' in response.text


async def test_anagrafica_step_asks_identity_with_the_resume_token_and_shows_the_countdown(
    client, gateway, csrf, started
):
    await _start(client, csrf)
    response = await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    assert response.status_code == 200
    call = gateway.calls("GET", f"/api/identity/registrations/{REG_ID}")[-1]
    assert call.headers["x-registration-token"] == TOKEN
    page = text(response)
    assert f'data-expires-at="{EXPIRES_AT}"' in page
    remaining_ms = int(re.search(r'data-expires-in-ms="(\d+)"', page).group(1))
    assert 3_000_000 < remaining_ms <= 3_600_000  # an hour from when this module was imported
    seconds = -(-remaining_ms // 1000)  # minutes and seconds, rounded up
    assert f">{seconds // 60:02d}:{seconds % 60:02d}<" in page
    assert re.search(r"data-countdown-expired[^>]*hidden", page)
    flat = re.sub(r"\s+", " ", page)
    assert "Non chiudere la pagina fino al completamento della registrazione" in flat
    assert "riprendere la procedura cliccando sul link ricevuto via email assieme al codice OTP" in flat
    for label in [
        "Nome",
        "Cognome",
        "Via/Piazza",
        "Numero civico",
        "CAP",
        "Comune",
        "Telefono",
        "Codice OTP",
    ]:
        assert re.search(rf'<label for="[a-z_]+"[^>]*>{re.escape(label)}</label>', page), label
    assert "Invia di nuovo il codice" in page
    assert re.search(r'<script defer src="/static/js/registrazione\.[^"]*"></script>', page)


async def test_resume_link_works_in_a_browser_that_never_saw_the_registration(client, gateway, started):
    response = await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    assert response.status_code == 200
    assert "anna@example.it" in response.text


async def test_anagrafica_without_a_token_is_an_invalid_link(client, gateway):
    response = await client.get(f"/registrazione/{REG_ID}")
    assert response.status_code == 404
    assert "Link di registrazione non valido" in response.text
    assert gateway.requests == []


async def test_expired_session_shows_the_message_and_a_button_to_start_again(client, gateway, make_problem):
    gateway.on(
        "GET",
        f"/api/identity/registrations/{REG_ID}",
        make_problem(
            410,
            "registration_expired",
            "La sessione di registrazione è scaduta: inizia una nuova registrazione.",
        ),
    )
    response = await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    assert response.status_code == 410
    assert "La sessione di registrazione è scaduta" in text(response)
    assert 'href="/registrazione">Inizia una nuova registrazione</a>' in response.text


async def test_complete_sends_the_details_with_the_token_from_the_session_and_signs_in(
    client, gateway, csrf, started, profile_data
):
    await _start(client, csrf)
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on(
        "POST",
        f"/api/identity/registrations/{REG_ID}/complete",
        httpx.Response(
            201,
            json={
                "user_id": str(uuid.uuid4()),
                "access_token": "access-new",
                "refresh_token": "refresh-new",
                "token_type": "Bearer",
                "expires_in": 600,
                "role": "citizen",
            },
        ),
    )
    gateway.on("GET", "/api/identity/me", httpx.Response(200, json=profile_data))
    token = await csrf(f"/registrazione/{REG_ID}")
    response = await client.post(
        f"/registrazione/{REG_ID}", data={**DETAILS, "otp": " 123 456 ", "csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    call = gateway.calls("POST", f"/api/identity/registrations/{REG_ID}/complete")[-1]
    assert call.headers["x-registration-token"] == TOKEN
    assert gateway.body("POST", f"/api/identity/registrations/{REG_ID}/complete") == DETAILS
    assert "Registrazione completata" in text(await client.get("/privacy"))
    # The session is consumed: the step cannot be posted again from this browser.
    again = await client.post(
        f"/registrazione/{REG_ID}", data={**DETAILS, "csrf_token": await csrf("/privacy")}
    )
    assert again.status_code == 404


async def test_tax_code_mismatch_puts_each_error_next_to_its_field_and_keeps_values(
    client, gateway, csrf, started, make_problem
):
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on(
        "POST",
        f"/api/identity/registrations/{REG_ID}/complete",
        make_problem(
            422,
            "tax_code_mismatch",
            "I dati anagrafici non corrispondono al codice fiscale.",
            [
                {
                    "field": "last_name",
                    "code": "tax_code_mismatch",
                    "message": "Il cognome non corrisponde al codice fiscale.",
                },
                {
                    "field": "first_name",
                    "code": "tax_code_mismatch",
                    "message": "Il nome non corrisponde al codice fiscale.",
                },
            ],
        ),
    )
    response = await client.post(
        f"/registrazione/{REG_ID}", data={**DETAILS, "csrf_token": await csrf(f"/registrazione/{REG_ID}")}
    )
    assert response.status_code == 422
    assert field_error(response.text, "last_name") == "Il cognome non corrisponde al codice fiscale."
    assert field_error(response.text, "first_name") == "Il nome non corrisponde al codice fiscale."
    assert "aria-invalid" not in re.search(r'<input[^>]*id="address_street"[^>]*>', response.text).group(0)
    assert 'value="Bianchi"' in response.text and 'value="Via Mazzini"' in response.text


async def test_wrong_otp_is_shown_next_to_the_otp_field(client, gateway, csrf, started, make_problem):
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on(
        "POST",
        f"/api/identity/registrations/{REG_ID}/complete",
        make_problem(422, "otp_invalid", "Codice OTP non valido. Tentativi rimasti: 4."),
    )
    response = await client.post(
        f"/registrazione/{REG_ID}", data={**DETAILS, "csrf_token": await csrf(f"/registrazione/{REG_ID}")}
    )
    assert field_error(response.text, "otp") == "Codice OTP non valido. Tentativi rimasti: 4."


async def test_too_many_wrong_otps_end_the_registration(client, gateway, csrf, started, make_problem):
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on(
        "POST",
        f"/api/identity/registrations/{REG_ID}/complete",
        make_problem(423, "otp_locked", "Troppi tentativi errati: inizia una nuova registrazione."),
    )
    response = await client.post(
        f"/registrazione/{REG_ID}", data={**DETAILS, "csrf_token": await csrf(f"/registrazione/{REG_ID}")}
    )
    assert response.status_code == 423
    assert "Troppi tentativi errati" in response.text
    assert 'href="/registrazione">Inizia una nuova registrazione</a>' in response.text


async def test_resend_with_htmx_answers_only_the_status_line(client, gateway, csrf, started):
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on("POST", f"/api/identity/registrations/{REG_ID}/otp", httpx.Response(202, json=RESENT))
    response = await client.post(
        f"/registrazione/{REG_ID}/codice",
        headers={"HX-Request": "true"},
        data={"csrf_token": await csrf(f"/registrazione/{REG_ID}")},
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Ti abbiamo inviato un nuovo codice OTP all'indirizzo anna@example.it." in text(response)
    assert (
        gateway.calls("POST", f"/api/identity/registrations/{REG_ID}/otp")[-1].headers["x-registration-token"]
        == TOKEN
    )


async def test_resend_too_soon_says_how_long_to_wait(client, gateway, csrf, started, make_problem):
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on(
        "POST",
        f"/api/identity/registrations/{REG_ID}/otp",
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
    assert 'class="alert alert-warning' in response.text
    assert "Puoi richiedere un nuovo codice tra 42 secondi." in response.text


async def test_resend_without_javascript_comes_back_to_the_page_with_a_message(
    client, gateway, csrf, started
):
    await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")
    gateway.on("POST", f"/api/identity/registrations/{REG_ID}/otp", httpx.Response(202, json=RESENT))
    response = await client.post(
        f"/registrazione/{REG_ID}/codice", data={"csrf_token": await csrf(f"/registrazione/{REG_ID}")}
    )
    assert response.status_code == 303 and response.headers["location"] == f"/registrazione/{REG_ID}"
    page = await client.get(response.headers["location"])
    assert "Ti abbiamo inviato un nuovo codice OTP" in text(page)


async def test_logged_in_user_opening_registration_goes_to_their_area(client, login_as):
    await login_as("citizen")
    response = await client.get("/registrazione")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"


async def test_a_session_past_its_expiry_shows_the_expired_message_without_a_countdown(client, gateway):
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    gateway.on(
        "GET",
        f"/api/identity/registrations/{REG_ID}",
        httpx.Response(200, json={**REGISTRATION, "expires_at": past, "seconds_left": 0}),
    )
    page = (await client.get(f"/registrazione/{REG_ID}?t={TOKEN}")).text
    assert 'data-expires-in-ms="0"' in page
    assert not re.search(r"data-countdown-expired[^>]*hidden", page)
    assert "La sessione di registrazione è scaduta" in html.unescape(page)
