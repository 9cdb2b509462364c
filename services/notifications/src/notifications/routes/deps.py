"""FastAPI dependencies of the notifications service's routes."""

from kit.deps import runtime_dependency
from notifications.runtime import Runtime

RuntimeDep = runtime_dependency(Runtime)
