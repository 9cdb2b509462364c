"""Queries over the vehicles service's tables (plate association requests and associated plates)."""
