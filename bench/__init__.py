"""Event pipeline benchmark: the kit's outbox -> RabbitMQ -> inbox pipeline measured beside bare
aio-pika on the same local broker. Run with ``uv run python -m bench`` (``--help`` for options)."""
