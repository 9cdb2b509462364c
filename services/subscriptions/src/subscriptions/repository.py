"""Queries over the subscriptions service's tables (subscription types, requests and subscriptions)."""
