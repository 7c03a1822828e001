"""one history again: access, intake, routing and tickets were built side by side from 0001

Revision ID: 0006_merge
Revises: 0002_access, 0003_intake, 0004_routing, 0005_tickets
"""

revision = "0006_merge"
down_revision = ("0002_access", "0003_intake", "0004_routing", "0005_tickets")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
