"""Periodic jobs of the billing service, declared in one place; each runs once per period across
replicas (``kit.jobs``)."""

from __future__ import annotations

from kit.jobs import Job
from billing.runtime import Runtime


def build_jobs(rt: Runtime) -> list[Job]:
    return []
