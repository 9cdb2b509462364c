"""Request and response shapes of the subscriptions API (pydantic)."""
