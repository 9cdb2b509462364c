"""Pure rules of the vehicles service (no I/O), unit-tested without a database."""
