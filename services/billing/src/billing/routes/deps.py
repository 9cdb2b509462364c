"""FastAPI dependencies of the billing routes: the typed runtime, and the sandbox where it is
served."""

from typing import Annotated

from fastapi import Depends

from billing.provider.sandbox import Sandbox
from billing.runtime import Runtime
from kit.deps import runtime_dependency
from kit.problems import Problem

RuntimeDep = runtime_dependency(Runtime)


def _sandbox(rt: RuntimeDep) -> Sandbox:
    """The sandbox provider; its routes do not exist where it is not active (production)."""
    if rt.sandbox is None:
        raise Problem(404, "not_found", "La risorsa richiesta non esiste.")
    return rt.sandbox


SandboxDep = Annotated[Sandbox, Depends(_sandbox)]
