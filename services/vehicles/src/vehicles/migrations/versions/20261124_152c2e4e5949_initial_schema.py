"""initial schema

Revision ID: 152c2e4e5949
Revises:
Create Date: 2026-11-24 10:33:05.280336
"""

from collections.abc import Sequence

from kit.migrations import (
    create_citizens_table,
    create_messaging_tables,
    drop_citizens_table,
    drop_messaging_tables,
)

revision: str = "152c2e4e5949"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables()
    create_citizens_table()


def downgrade() -> None:
    drop_citizens_table()
    drop_messaging_tables()
