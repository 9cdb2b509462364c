import httpx


async def test_citizen_gets_a_403_page_on_the_operator_console(client, login_as):
    await login_as("citizen")
    response = await client.get("/operatore")
    assert response.status_code == 403
    assert "Accesso non consentito" in response.text
    assert 'lang="it"' in response.text


async def test_anonymous_visitor_is_sent_to_login(client):
    response = await client.get("/operatore?q=rossi")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/operatore%3Fq%3Drossi"
    login = await client.get(response.headers["location"])
    assert 'name="next" value="/operatore?q=rossi"' in login.text


async def test_console_searches_citizens_with_the_operator_token(
    client, gateway, login_as, profile_data, account_summary, make_page
):
    await login_as("operator")
    gateway.on("GET", "/api/identity/admin/users", make_page([account_summary]))
    response = await client.get("/operatore", params={"q": "RSSMRA"})
    assert response.status_code == 200
    call = gateway.calls("GET", "/api/identity/admin/users")[-1]
    assert call.url.params["q"] == "RSSMRA"
    assert call.headers["authorization"] == "Bearer access-1"
    assert "Rossi Mario" in response.text and "RSSMRA80A01B963X" in response.text
    assert "1 cittadino trovato" in response.text


async def test_console_says_when_nothing_matches(client, gateway, login_as, make_page):
    await login_as("admin")
    gateway.on("GET", "/api/identity/admin/users", make_page([]))
    response = await client.get("/operatore", params={"q": "nessuno"})
    assert "Nessun cittadino trovato" in response.text


async def test_console_says_how_many_match_when_identity_sends_only_the_first_page(
    client, gateway, login_as, profile_data, account_summary, make_page
):
    await login_as("operator")
    gateway.on("GET", "/api/identity/admin/users", make_page([account_summary], total=73, limit=1))
    page = (await client.get("/operatore", params={"q": "rossi"})).text
    assert "73 cittadini trovati" in page
    assert "Sono mostrati i primi 1: precisa la ricerca" in page


async def test_an_answer_that_is_not_a_page_is_reported_as_unavailable_not_guessed(
    client, gateway, login_as, profile_data
):
    await login_as("operator")
    gateway.on("GET", "/api/identity/admin/users", httpx.Response(200, json=[profile_data]), contract=False)
    response = await client.get("/operatore", params={"q": "rossi"})
    assert response.status_code == 200
    assert "La ricerca non è al momento disponibile" in response.text
    assert "RSSMRA80A01B963X" not in response.text


async def test_console_without_a_query_does_not_call_identity_and_shows_the_queues(client, gateway, login_as):
    await login_as("operator")
    response = await client.get("/operatore")
    assert gateway.calls("GET", "/api/identity/admin/users") == []
    for queue in ("Certificazioni da verificare", "Targhe da verificare", "Abbonamenti da verificare"):
        assert queue in response.text
    assert '<label for="q" class="active">Nome, email o codice fiscale</label>' in response.text


async def test_search_unavailable_is_an_italian_message_not_a_crash(client, gateway, login_as):
    await login_as("operator")
    gateway.on("GET", "/api/identity/admin/users", httpx.Response(504, text="Gateway Timeout"))
    response = await client.get("/operatore", params={"q": "rossi"})
    assert response.status_code == 200
    assert "La ricerca non è al momento disponibile" in response.text
    assert 'value="rossi"' in response.text
