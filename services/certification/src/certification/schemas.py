"""Request and response shapes of the certification API (pydantic)."""
