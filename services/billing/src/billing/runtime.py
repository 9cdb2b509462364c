"""What the billing service builds once (``main.build_runtime``) and its routes, handlers and
jobs share: the payment provider, and the sandbox when it is the one in use. No web framework
here: routes reach it through ``billing.routes.deps.RuntimeDep``."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.provider import PaymentProvider
from billing.provider.sandbox import Sandbox
from billing.settings import Settings
from kit.runtime import ServiceRuntime


@dataclass
class Runtime(ServiceRuntime):
    settings: Settings
    provider: PaymentProvider = field(kw_only=True)
    # The sandbox provider (also ``provider``) where it is active; None otherwise.
    sandbox: Sandbox | None = field(default=None, kw_only=True)

    async def stop(self) -> None:
        if self.sandbox is not None:
            await self.sandbox.close()
