"""Settings of the notifications service (environment variables, working local defaults)."""

from pydantic import Field, SecretStr, model_validator

from kit.settings import ServiceSettings, refused_in_production
from notifications.domain.emails import DEVELOPMENT_SUPPORT_CONTACT


class Settings(ServiceSettings):
    service_name: str = "notifications"
    api_prefix: str = "/api/notifications"
    port: int = 8106

    # Outgoing mail. The defaults reach the development catcher (python -m devtools.devmail, or
    # Compose's mailcatcher): ENVIRONMENT=production refuses them.
    smtp_host: str = Field(
        default="127.0.0.1", json_schema_extra=refused_in_production("devmail", "mailcatcher")
    )
    smtp_port: int = Field(default=1025, json_schema_extra=refused_in_production(1025))
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False  # upgrade a plain connection (submission port 587)
    smtp_use_tls: bool = False  # TLS from the first byte (port 465)
    smtp_timeout_s: float = Field(default=30.0, gt=0)
    mail_from: str = "Comune di Caserta - Sosta residenti <noreply@parkingcaserta.it>"
    # Whom a citizen contacts when something happened to the account that was not them (the
    # notice of an e-mail change sent to the old address): written as is after "contatta
    # subito il Comune:". No real contact is known to the project: production must set it.
    support_contact: str = DEVELOPMENT_SUPPORT_CONTACT
    # Right-hand side of every Message-ID we generate.
    mail_id_domain: str = "parkingcaserta.it"

    # The background sender: batch size, poll fallback, retries with exponential back-off.
    mail_batch_size: int = Field(default=20, ge=1)
    mail_poll_interval_s: float = Field(default=2.0, gt=0)
    mail_max_attempts: int = Field(default=8, ge=1)
    mail_retry_base_s: float = Field(default=5.0, gt=0)
    mail_retry_max_s: float = Field(default=900.0, gt=0)
    run_mail_sender: bool = True
    # Settled messages (sent or given up) are deleted this many days after they were queued.
    mail_retention_days: int = Field(default=365, ge=1)

    @model_validator(mode="after")
    def _smtp_credentials(self) -> "Settings":
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("SMTP_USERNAME e SMTP_PASSWORD vanno impostati insieme.")
        if (
            self.environment == "production"
            and self.smtp_username is not None
            and not (self.smtp_starttls or self.smtp_use_tls)
        ):
            raise ValueError(
                "In produzione le credenziali SMTP non viaggiano in chiaro: "
                "imposta SMTP_STARTTLS=true o SMTP_USE_TLS=true."
            )
        if self.smtp_starttls and self.smtp_use_tls:
            raise ValueError("SMTP_STARTTLS e SMTP_USE_TLS si escludono a vicenda.")
        return self

    @model_validator(mode="after")
    def _real_support_contact(self) -> "Settings":
        if not self.support_contact.strip():
            raise ValueError("SUPPORT_CONTACT non può essere vuoto: finisce nelle email ai cittadini.")
        if self.environment == "production" and self.support_contact == DEVELOPMENT_SUPPORT_CONTACT:
            raise ValueError(
                "In produzione imposta SUPPORT_CONTACT con il recapito reale del Comune "
                "(ufficio, email o telefono): il valore di sviluppo non va mai ai cittadini."
            )
        return self

    @property
    def portal_url(self) -> str:
        return self.public_base_url.rstrip("/")
