"""Every page of the portal: no inline script or style (strict CSP), every visible form field
has a <label for> naming it, and every label points at a field."""

import re
import uuid
from html.parser import HTMLParser

import httpx
import pytest

REG_ID = str(uuid.uuid4())


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []  # ids of visible inputs, selects, textareas
        self.unnamed: list[str] = []
        self.labels: dict[str, str] = {}
        self.ids: set[str] = set()
        self.inline_scripts = self.style_attributes = 0
        self._label: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "style" in attrs:
            self.style_attributes += 1
        if tag == "script" and "src" not in attrs:
            self.inline_scripts += 1
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            if attrs.get("id"):
                self.fields.append(attrs["id"])
            else:
                self.unnamed.append(str(attrs))
        if tag == "label" and attrs.get("for"):
            self._label = attrs["for"]
            self.labels[self._label] = ""

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data


PUBLIC = ["/", "/login", "/registrazione", "/password/dimenticata", "/password/reimposta?t=abc", "/privacy"]


@pytest.fixture
def registration(gateway):
    gateway.on(
        "GET",
        f"/api/identity/registrations/{REG_ID}",
        httpx.Response(
            200,
            json={
                "registration_id": REG_ID,
                "email": "a@example.it",
                "tax_code": "BNCNNA90A41B963K",
                "expires_at": "2099-01-01T00:00:00Z",
                "seconds_left": 300,
            },
        ),
    )


async def _pages(client, login_as, role):
    pages = {}
    for path in PUBLIC + [f"/registrazione/{REG_ID}?t=tok"]:
        pages[path] = await client.get(path)
    await login_as(role)
    for path in ["/dashboard", "/profilo", "/operatore", "/operatore/verifica", "/targhe/nuova"]:
        pages[f"{path} ({role})"] = await client.get(path)
    return pages


@pytest.mark.parametrize("role", ["citizen", "operator"])
async def test_every_page_is_csp_clean_and_labels_every_field(client, login_as, registration, role):
    for name, response in (await _pages(client, login_as, role)).items():
        if response.status_code in (301, 302, 303):
            continue
        page = _Fields()
        page.feed(response.text)
        assert page.inline_scripts == 0 and page.style_attributes == 0, name
        assert page.unnamed == [], name
        for field in page.fields:
            assert page.labels.get(field, "").strip(), f"{name}: field {field} has no label"
        for target in page.labels:
            assert target in page.ids, f"{name}: label for missing {target}"
        for described in re.findall(r'aria-describedby="([^"]+)"', response.text):
            for target in described.split():
                assert target in page.ids, f"{name}: aria-describedby points at missing {target}"
