"""Request and response shapes of the vehicles API (pydantic)."""
