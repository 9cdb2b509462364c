"""Pure rules of the identity service: no database, no HTTP, no clock of their own."""
