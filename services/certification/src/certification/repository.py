"""Queries over the certification service's tables (certification requests, sectors and approved certifications)."""
