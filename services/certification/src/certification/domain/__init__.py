"""Pure rules of the certification service (no I/O), unit-tested without a database."""
