"""A SQLModel base per service: each service's tables live in their own metadata, so that
services can share a process in tests without their table names colliding."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel


def service_base() -> type[SQLModel]:
    class Base(SQLModel, registry=registry()):
        pass

    return Base
