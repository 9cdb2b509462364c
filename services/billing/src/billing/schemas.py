"""Request and response shapes of the billing API (pydantic)."""
