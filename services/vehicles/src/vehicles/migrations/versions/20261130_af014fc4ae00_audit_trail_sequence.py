"""audit trail sequence

Revision ID: af014fc4ae00
Revises: f82d5ef621d3
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

from kit.migrations import add_audit_sequence, drop_audit_sequence

revision: str = "af014fc4ae00"
down_revision: str | None = "f82d5ef621d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_audit_sequence()


def downgrade() -> None:
    drop_audit_sequence()
