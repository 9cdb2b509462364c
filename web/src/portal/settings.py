"""Settings of the portal (environment variables, working local defaults)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from kit.settings import CommonSettings

# A development default must never sign production cookies: anyone can read it here.
_DEVELOPMENT_SECRET = "changethis-portal-development-session-secret"
_PLACEHOLDERS = frozenset({"", "changethis", "change-me", "secret", _DEVELOPMENT_SECRET})


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

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> PortalSettings:
        secret = self.session_secret.get_secret_value()
        if self.environment == "production" and (secret in _PLACEHOLDERS or len(secret) < 32):
            raise ValueError(
                "SESSION_SECRET must be a random value of at least 32 characters in production "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        return self
