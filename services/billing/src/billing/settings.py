"""Settings of the billing service (environment variables, working local defaults)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from billing.domain.return_urls import origin_of
from kit.settings import ServiceSettings, refused_in_production

_DEVELOPMENT_SECRET = "dev-only-notification-secret-do-not-use-in-production"


class Settings(ServiceSettings):
    service_name: str = "billing"
    api_prefix: str = "/api/billing"
    port: int = 8105

    # The creditor of every payment position: the Comune di Caserta (its codice fiscale) and
    # the segregation code pagoPA assigned to this service's IUVs (aux digit 3).
    creditor_name: str = "Comune di Caserta"
    creditor_tax_code: str = Field(default="80002410610", pattern=r"^[0-9]{11}$")
    segregation_code: int = Field(default=1, ge=0, le=99)
    vat_rate_percent: int = Field(default=22, ge=0, le=100)

    # The Comune as the seller on its invoices (FatturaPA "cedente/prestatore"); its name and
    # codice fiscale are creditor_name and creditor_tax_code above.
    # EXAMPLE DEFAULTS, for the municipality's financial office to confirm before any invoice
    # reaches SDI: neither this partita IVA nor the codice fiscale 80002410610 passes its check
    # digit, and SDI refuses invoices whose seller identifiers are not registered.
    seller_vat_number: str = Field(default="01272950616", pattern=r"^[0-9]{11}$")
    seller_address_street: str = Field(default="Piazza Vanvitelli", min_length=1, max_length=60)
    seller_address_number: str = Field(default="30", max_length=8)
    seller_postcode: str = Field(default="81100", pattern=r"^[0-9]{5}$")
    seller_municipality: str = Field(default="Caserta", min_length=1, max_length=60)
    seller_province: str = Field(default="CE", pattern=r"^[A-Z]{2}$")
    # RF01: ordinary VAT regime.
    seller_regime_fiscale: str = Field(default="RF01", pattern=r"^RF[0-9]{2}$")

    # Where the checkout may send the citizen back (return_url): the portal's origin. Empty:
    # the origin of PUBLIC_BASE_URL (the gateway, which serves the portal).
    portal_origin: str = ""

    # Notifications of payment outcomes are HMAC-SHA256 signed with this secret, shared with
    # the provider (the sandbox signs with it too). Required outside development.
    provider_notification_secret: SecretStr = SecretStr(_DEVELOPMENT_SECRET)
    # A notification signed longer ago than this (or this far in the future) is refused.
    notification_tolerance_s: int = Field(default=300, ge=1)
    # A checkout session lasts this long at the provider.
    checkout_ttl_s: int = Field(default=1800, ge=60)

    # Reconciliation: checkouts started more than reconciliation_after_s ago without an outcome
    # are asked about at the provider, every reconciliation_interval_s.
    reconciliation_interval_s: float = Field(default=300.0, gt=0)
    reconciliation_after_s: int = Field(default=900, ge=0)
    reconciliation_batch: int = Field(default=100, ge=1, le=1000)
    # Orders past their due date are closed every this often.
    expiry_interval_s: float = Field(default=3600.0, gt=0)

    # The sandbox provider (hosted checkout page and signed notifications), served unless
    # ENVIRONMENT=production, which refuses SANDBOX_ENABLED=true: it takes no money.
    sandbox_enabled: bool | None = Field(default=None, json_schema_extra=refused_in_production(True))
    # Base of the checkout page links given to browsers. Empty: PUBLIC_BASE_URL (the gateway).
    sandbox_public_url: str = ""
    # Where the sandbox sends its notifications. Empty: this service's own address
    # (http://HOST:PORT). With sandbox_notify_in_process the app is called in-process (tests).
    sandbox_notify_base_url: str = ""
    sandbox_notify_in_process: bool = False
    # False: the sandbox keeps its notifications and never sends them (a provider whose
    # notifications are lost; the reconciliation must find the payments).
    sandbox_send_notifications: bool = True
    sandbox_notify_poll_s: float = Field(default=2.0, gt=0)
    sandbox_notify_retry_base_s: float = Field(default=1.0, gt=0)
    sandbox_notify_retry_max_s: float = Field(default=300.0, gt=0)
    sandbox_notify_max_attempts: int = Field(default=15, ge=1)
    sandbox_notify_timeout_s: float = Field(default=10.0, gt=0)

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> Settings:
        secret = self.provider_notification_secret.get_secret_value()
        if self.environment == "production" and (secret == _DEVELOPMENT_SECRET or len(secret) < 32):
            raise ValueError(
                "PROVIDER_NOTIFICATION_SECRET must be set to a random value of at least 32 characters "
                "in production"
            )
        return self

    @property
    def sandbox_active(self) -> bool:
        if self.sandbox_enabled is not None:
            return self.sandbox_enabled
        return self.environment != "production"

    @property
    def notification_secret(self) -> bytes:
        return self.provider_notification_secret.get_secret_value().encode()

    @property
    def allowed_return_origin(self) -> str:
        return origin_of(self.portal_origin or self.public_base_url)

    @property
    def sandbox_checkout_base(self) -> str:
        base = (self.sandbox_public_url or self.public_base_url).rstrip("/")
        return f"{base}{self.api_prefix}/sandbox/checkout"

    @property
    def notification_path(self) -> str:
        return f"{self.api_prefix}/provider/notifications"

    @property
    def sandbox_notify_base(self) -> str:
        if self.sandbox_notify_in_process:
            return "http://billing"
        return (self.sandbox_notify_base_url or f"http://{self.host}:{self.port}").rstrip("/")
