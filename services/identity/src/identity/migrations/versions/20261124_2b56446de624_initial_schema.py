"""initial schema

Revision ID: 2b56446de624
Revises:
Create Date: 2026-11-24 10:33:00.335426
"""

from collections.abc import Sequence

from kit.migrations import create_messaging_tables, drop_messaging_tables

revision: str = "2b56446de624"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_messaging_tables()


def downgrade() -> None:
    drop_messaging_tables()
