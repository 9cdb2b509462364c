"""What the notifications service builds once (``main.build_runtime``) and its routes, handlers,
jobs and mail sender share."""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.runtime import ServiceRuntime
from notifications.domain.emails import Composer
from notifications.settings import Settings


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
    # Renders every e-mail; links in them point at the portal's public address.
    composer: Composer = field(kw_only=True)
