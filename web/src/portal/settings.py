"""Settings of the portal (environment variables, working local defaults)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, SecretStr, model_validator

from kit.settings import CommonSettings, refused_in_production

# A development default must never sign production cookies: anyone can read it here.
_DEVELOPMENT_SECRET = "changethis-portal-development-session-secret"
_PLACEHOLDERS = frozenset({"", "changethis", "change-me", "secret", _DEVELOPMENT_SECRET})

# No document of this project gives the Comune's real PEC, phone or tax identifiers: these are
# placeholders (the tax code and VAT number are billing's example defaults), shown with the
# words "dato di esempio" until set, and refused in production.
EXAMPLE_COMUNE = {
    "comune_pec": "protocollo@pec.comune.caserta.example",
    "comune_phone": "+39 0823 000000",
    "comune_tax_code": "80002410610",
    "comune_vat_number": "01272950616",
}


def _example(name: str) -> Any:
    value = EXAMPLE_COMUNE[name]
    return Field(default=value, json_schema_extra=refused_in_production(value))


class PortalSettings(CommonSettings):
    port: int = 8010
    # The gateway: the portal reaches every service's public API through it.
    api_base_url: str = "http://127.0.0.1:8000"
    api_timeout_s: float = Field(default=10.0, gt=0)
    session_secret: SecretStr = SecretStr(_DEVELOPMENT_SECRET)
    session_max_age_s: int = Field(default=12 * 60 * 60, gt=0)
    # Addresses allowed to set X-Forwarded-* (the gateway); "*" inside a private network.
    forwarded_allow_ips: str = "127.0.0.1"
    # Shared with identity and the gateway (CLIENT_ADDRESS_SECRET): the portal signs the
    # browser's address on its API calls with it, so that nobody else can choose one.
    client_address_secret: SecretStr = SecretStr("dev-only-client-address-secret")
    # The payment provider's checkout pages: "Paga" posts to the portal, which redirects the
    # browser there, and a form's redirect must be allowed by the page's CSP (form-action).
    # Space-separated origins; empty: the sandbox's page, served through the gateway on the
    # portal's own origin (``public_base_url``).
    payment_provider_origins: str = ""

    # The Comune's details in the header, the footer and the help box.
    comune_address: str = "Piazza Vanvitelli, 1 – 81100 Caserta (CE)"
    comune_pec: str = _example("comune_pec")
    comune_phone: str = _example("comune_phone")
    comune_tax_code: str = _example("comune_tax_code")
    comune_vat_number: str = _example("comune_vat_number")
    comune_website: str = "https://www.comune.caserta.it/"
    comune_transparency_url: str = "https://www.comune.caserta.it/amministrazione-trasparente"

    def comune(self) -> ComuneContacts:
        values = {
            name.removeprefix("comune_"): getattr(self, name)
            for name in type(self).model_fields
            if name.startswith("comune_")
        }
        examples = {
            name.removeprefix("comune_")
            for name, value in EXAMPLE_COMUNE.items()
            if getattr(self, name) == value
        }
        return ComuneContacts(**values, examples=frozenset(examples))

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> PortalSettings:
        secret = self.session_secret.get_secret_value()
        if self.environment == "production" and (secret in _PLACEHOLDERS or len(secret) < 32):
            raise ValueError(
                "SESSION_SECRET must be a random value of at least 32 characters in production "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self


class ComuneContacts(BaseModel):
    """What the pages show of the Comune (``comune`` in the templates)."""

    address: str
    pec: str
    phone: str
    tax_code: str
    vat_number: str
    website: str
    transparency_url: str
    examples: frozenset[str]

    def example(self, name: str) -> bool:
        """True while ``name`` still holds its placeholder (shown as "dato di esempio")."""
        return name in self.examples
