"""The identity service's use cases. Each function takes an open session, the runtime and plain
values (or a request schema as a command), changes state, records the events it causes in the
same transaction (``kit.outbox.emit``) and returns a result, or refuses with a domain error
(``identity.domain.errors``). It never commits (the caller's unit of work does, ``kit.uow``)
and knows nothing of HTTP."""
