"""audit trail sequence

Revision ID: 7a43b76ad681
Revises: d1852ef58a53
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

from kit.migrations import add_audit_sequence, drop_audit_sequence

revision: str = "7a43b76ad681"
down_revision: str | None = "d1852ef58a53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    add_audit_sequence()


def downgrade() -> None:
    drop_audit_sequence()
