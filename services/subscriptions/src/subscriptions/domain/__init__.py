"""Pure rules of the subscriptions service (no I/O), unit-tested without a database."""
