"""The identity service's use cases: each function takes a database session and what it needs,
changes state, records the events it causes in the same transaction, and commits."""
