"""bot: intents and examples, the deployed classifier, per-channel switches, bot conversations and handoffs

Revision ID: 0008_bot
Revises: 0006_merge
"""

import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = "0008_bot"
down_revision = "0006_merge"
branch_labels = None
depends_on = None

UTC = kefu.core.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bot_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("answer_kind", sa.String(length=10), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("script_id", sa.Integer(), nullable=True),
        sa.Column("answer_zh", sa.Text(), nullable=True),
        sa.Column("answer_en", sa.Text(), nullable=True),
        sa.Column("queue_code", sa.String(length=60), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_bot_intents_article_id_articles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_intents")),
        sa.UniqueConstraint("name", name=op.f("uq_bot_intents_name")),
    )
    op.create_table(
        "bot_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["intent_id"],
            ["bot_intents.id"],
            name=op.f("fk_bot_examples_intent_id_bot_intents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_examples")),
    )
    op.create_index(op.f("ix_bot_examples_intent_id"), "bot_examples", ["intent_id"])
    op.create_table(
        "bot_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("intents", sa.Integer(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("features", sa.String(length=120), nullable=False),
        sa.Column("fit_seconds", sa.Float(), nullable=False),
        sa.Column("trained_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["trained_by_id"], ["users.id"], name=op.f("fk_bot_models_trained_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_models")),
    )
    op.create_index(op.f("ix_bot_models_active"), "bot_models", ["active"])
    op.create_table(
        "bot_channels",
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("channel", name=op.f("pk_bot_channels")),
    )
    op.create_table(
        "bot_conversations",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("last_message_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("intent", sa.String(length=120), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("sentiment_label", sa.String(length=10), nullable=True),
        sa.Column("bot_turns", sa.Integer(), nullable=False),
        sa.Column("fallback_turns", sa.Integer(), nullable=False),
        sa.Column("handoff_reason", sa.String(length=30), nullable=True),
        sa.Column("handoff_queue", sa.String(length=60), nullable=True),
        sa.Column("handed_off_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_bot_conversations_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_bot_conversations")),
    )
    op.create_index(op.f("ix_bot_conversations_started_at"), "bot_conversations", ["started_at"])
    op.create_index(op.f("ix_bot_conversations_handoff_reason"), "bot_conversations", ["handoff_reason"])


def downgrade() -> None:
    op.drop_table("bot_conversations")
    op.drop_table("bot_channels")
    op.drop_table("bot_models")
    op.drop_table("bot_examples")
    op.drop_table("bot_intents")
