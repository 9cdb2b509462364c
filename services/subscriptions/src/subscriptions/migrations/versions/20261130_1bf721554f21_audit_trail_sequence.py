"""audit trail sequence

Revision ID: 1bf721554f21
Revises: 5e2a9c41d7b3
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

from kit.migrations import add_audit_sequence, drop_audit_sequence

revision: str = "1bf721554f21"
down_revision: str | None = "5e2a9c41d7b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_audit_sequence()


def downgrade() -> None:
    drop_audit_sequence()
