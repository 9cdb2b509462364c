"""FastAPI dependencies of the certification service's routes."""

from certification.runtime import Runtime
from kit.deps import runtime_dependency

RuntimeDep = runtime_dependency(Runtime)
