"""Settings of the identity service (environment variables, working local defaults)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from kit.settings import ServiceSettings

_DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"


class Settings(ServiceSettings):
    service_name: str = "identity"
    api_prefix: str = "/api/identity"
    port: int = 8101
    # Login throttling counts failures per client address: only the gateway may tell us a
    # client's address (X-Forwarded-For). Set FORWARDED_ALLOW_IPS to the gateway's addresses
    # wherever it does not run on this machine.
    forwarded_allow_ips: str = "127.0.0.1"
    # Shared with the portal and the gateway (CLIENT_ADDRESS_SECRET): requests the portal makes
    # for a citizen carry the browser's address signed with it (kit.client_address).
    client_address_secret: SecretStr = SecretStr("dev-only-client-address-secret")

    # Keys the HMAC of every stored OTP and token, and encrypts the private signing keys at
    # rest. Outside development it must be set (SECRET_KEY) to a long random value.
    secret_key: SecretStr = SecretStr(_DEVELOPMENT_SECRET)

    # Registration (Fase 3): the session lasts 10 minutes from its start.
    registration_ttl_s: int = Field(default=600, ge=1)
    otp_max_attempts: int = Field(default=5, ge=1)
    otp_resend_interval_s: int = Field(default=60, ge=0)
    otp_resend_max: int = Field(default=5, ge=0)
    # Registration e-mails (a new registration or an OTP sent again) one mailbox may receive,
    # and registrations one client address may start, in a sliding window. 12: two whole
    # sessions a day (a start and its 5 resends each), so a citizen who locked one out can
    # start again, while OTP guessing stays at 10 tries a day for a mailbox.
    registration_max_emails_per_mailbox: int = Field(default=12, ge=1)
    registration_mailbox_window_s: int = Field(default=24 * 3600, ge=1)
    registration_max_starts_per_address: int = Field(default=20, ge=1)
    registration_address_window_s: int = Field(default=3600, ge=1)
    privacy_version: str = "2026-01"

    # Tokens.
    access_token_ttl_s: int = Field(default=600, ge=1)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=1)
    # A rotated-in key is published this long before it signs (longer than any JWKS cache),
    # and a superseded key stays published this long (longer than any access token).
    signing_key_prepublish_s: int = Field(default=900, ge=0)
    superseded_key_published_s: int = Field(default=24 * 3600, ge=0)
    signing_key_reload_s: float = Field(default=60.0, gt=0)

    # Password recovery and e-mail change.
    password_reset_ttl_s: int = Field(default=1800, ge=1)
    # At most one reset e-mail per account in this interval (no mail bombing).
    password_reset_min_interval_s: int = Field(default=60, ge=0)
    email_change_ttl_s: int = Field(default=600, ge=1)

    # Login throttling (identity.domain.throttle). One address failing on one account: after
    # _PER_PAIR failures it waits LOGIN_PAIR_DELAY_S, doubled at each further failure, at most
    # LOGIN_LOCKOUT_S; forgotten after LOGIN_PAIR_MEMORY_S without failures or on a success.
    login_max_failures_per_pair: int = Field(default=5, ge=1)
    login_pair_delay_s: int = Field(default=60, ge=1)
    login_pair_memory_s: int = Field(default=24 * 3600, ge=1)
    # Failures within the window on one account from every address (they block only the
    # addresses that failed on it, never a clean one), and from one address on any account.
    login_max_failures_per_account: int = Field(default=50, ge=1)
    login_max_failures_per_address: int = Field(default=20, ge=1)
    login_failure_window_s: int = Field(default=900, ge=1)
    login_lockout_s: int = Field(default=900, ge=1)

    # Argon2id parameters; the defaults are pwdlib's recommended ones. Tests lower them.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)
    # Hashes computed at once by one process; 0: one per core.
    argon2_concurrency: int = Field(default=0, ge=0)

    # Expired sessions and used tokens are deleted this long after they stopped mattering
    # (an expired registration link still answers "scaduta" rather than "not found").
    purge_interval_s: float = Field(default=300.0, gt=0)
    purge_grace_s: int = Field(default=24 * 3600, ge=0)

    # Development seed accounts (`python -m identity seed`).
    seed_password: SecretStr = SecretStr("Caserta2026!")

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> Settings:
        secret = self.secret_key.get_secret_value()
        if self.environment == "production" and (secret == _DEVELOPMENT_SECRET or len(secret) < 32):
            raise ValueError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        return self

    @property
    def secret_bytes(self) -> bytes:
        return self.secret_key.get_secret_value().encode()
