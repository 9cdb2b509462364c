"""The processes of the platform as the local tools see them: one table, read by the gateway
renderer, `stack prepare`, and the end-to-end stack fixture (the Procfile repeats the ports)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Service:
    name: str  # service_name in its settings: databases and queues are named after it
    package: str  # `python -m <package> serve|migrate|seed`
    prefix: str  # served under this path, by the service itself and through the gateway
    port: int  # default port for a local run
    uploads: bool = False  # accepts documents: the gateway lets larger bodies through

    @property
    def env_name(self) -> str:
        return self.name.upper()


SERVICES: tuple[Service, ...] = (
    Service("identity", "identity", "/api/identity", 8101),
    Service("certification", "certification", "/api/certifications", 8102, uploads=True),
    Service("vehicles", "vehicles", "/api/vehicles", 8103, uploads=True),
    Service("subscriptions", "subscriptions", "/api/subscriptions", 8104),
    Service("billing", "billing", "/api/billing", 8105),
    Service("notifications", "notifications", "/api/notifications", 8106),
)

PORTAL_PORT = 8010
GATEWAY_PORT = 8000
DEVMAIL_PORT = 8025
SMTP_PORT = 1025
