"""FastAPI dependencies of the vehicles service's routes."""

from kit.deps import runtime_dependency
from vehicles.runtime import Runtime

RuntimeDep = runtime_dependency(Runtime)
