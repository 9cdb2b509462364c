"""What the subscriptions service builds once (``main.build_runtime``) and its routes, handlers and
jobs share."""

from __future__ import annotations

from dataclasses import dataclass

from kit.runtime import ServiceRuntime
from subscriptions.settings import Settings


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
