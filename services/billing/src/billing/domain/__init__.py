"""Pure rules of the billing service (no I/O), unit-tested without a database."""
