"""One router module per resource of the identity API."""
