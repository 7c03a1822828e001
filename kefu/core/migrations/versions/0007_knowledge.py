"""knowledge: article versions, attachments, search rows and index generation; the script library

Revision ID: 0007_knowledge
Revises: 0006_merge
"""

import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = "0007_knowledge"
down_revision = "0006_merge"
branch_labels = None
depends_on = None

UTC = kefu.core.db.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("article_versions", "article_id", "articles"),
        _fk("article_versions", "category_id", "article_categories"),
        _fk("article_versions", "editor_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
        sa.UniqueConstraint("article_id", "number", name="uq_article_version"),
    )
    op.create_index(op.f("ix_article_versions_article_id"), "article_versions", ["article_id"])
    op.create_table(
        "article_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("article_attachments", "article_id", "articles"),
        _fk("article_attachments", "uploaded_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_attachments")),
        sa.UniqueConstraint("public_id", name=op.f("uq_article_attachments_public_id")),
    )
    op.create_index(op.f("ix_article_attachments_article_id"), "article_attachments", ["article_id"])
    op.create_table(
        "article_search_docs",
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("title_length", sa.Integer(), nullable=False),
        sa.Column("body_length", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("frequencies", sa.LargeBinary(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        _fk("article_search_docs", "article_id", "articles"),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_search_docs")),
    )
    op.create_index(op.f("ix_article_search_docs_generation"), "article_search_docs", ["generation"])
    op.create_table(
        "knowledge_index_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_index_state")),
    )
    op.create_table(
        "scripts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scenario", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("shortcut", sa.String(length=40), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        _fk("scripts", "created_by", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scripts")),
        sa.UniqueConstraint("language", "shortcut", name="uq_script_shortcut"),
    )
    op.create_index(op.f("ix_scripts_scenario"), "scripts", ["scenario"])
    op.create_index(op.f("ix_scripts_language"), "scripts", ["language"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scripts_language"), table_name="scripts")
    op.drop_index(op.f("ix_scripts_scenario"), table_name="scripts")
    op.drop_table("scripts")
    op.drop_table("knowledge_index_state")
    op.drop_index(op.f("ix_article_search_docs_generation"), table_name="article_search_docs")
    op.drop_table("article_search_docs")
    op.drop_index(op.f("ix_article_attachments_article_id"), table_name="article_attachments")
    op.drop_table("article_attachments")
    op.drop_index(op.f("ix_article_versions_article_id"), table_name="article_versions")
    op.drop_table("article_versions")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("version")
