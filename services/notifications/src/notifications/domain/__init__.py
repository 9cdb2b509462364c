"""Pure rules of the notifications service (no I/O), unit-tested without a database: what each
event tells a person, which messages carry a secret, when a delivery is retried or given up."""
