"""structlog JSON logging with the correlation id of the current request or event."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Values under these keys never reach a log line, wherever they are nested.
SECRET_KEYS = frozenset(
    {
        "password",
        "new_password",
        "otp",
        "token",
        "access_token",
        "refresh_token",
        "resume_url",
        "reset_url",
        "authorization",
        "cookie",
        "secret",
    }
)


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "[redacted]" if k.lower() in SECRET_KEYS else _redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v) for v in value]
    return value


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return _redact(dict(event_dict))


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route structlog and the standard library (uvicorn, aio-pika) through one JSON renderer."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG the AMQP client dumps raw frames, event payloads (OTPs, links) included.
    for wire in ("aiormq", "aio_pika"):
        logging.getLogger(wire).setLevel(max(logging.INFO, root.level))
    structlog.contextvars.bind_contextvars(service=service)
