"""one history again: knowledge, bot and ticket additions were built side by side from 0006

Revision ID: 0010_merge
Revises: 0007_knowledge, 0008_bot, 0009_tickets_more
"""

revision = "0010_merge"
down_revision = ("0007_knowledge", "0008_bot", "0009_tickets_more")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
