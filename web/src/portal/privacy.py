"""The privacy notice shown at /privacy. Its version travels with every registration, so the
identity service records which text the citizen accepted: change both together."""

PRIVACY_VERSION = "2026-01"
PRIVACY_UPDATED = "1 gennaio 2026"
