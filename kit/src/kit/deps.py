"""FastAPI dependency aliases shared by every service."""

from kit.auth import Admin, Citizen, CurrentUser, Operator, Principal
from kit.pagination import PageQuery
from kit.uow import UnitOfWorkDep

__all__ = ["Admin", "Citizen", "CurrentUser", "Operator", "PageQuery", "Principal", "UnitOfWorkDep"]
