"""FastAPI dependencies of the subscriptions service's routes."""

from kit.deps import runtime_dependency
from subscriptions.runtime import Runtime

RuntimeDep = runtime_dependency(Runtime)
