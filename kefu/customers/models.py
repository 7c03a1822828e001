"""One customer profile, many identities across channels."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(20), default="new", index=True)
    lifetime_value: Mapped[float] = mapped_column(Numeric(14, 2), default=0)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    dedicated_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Set when this profile was merged into another; kept so the merge can be undone.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    created_at: Mapped[datetime]
    last_contact_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CustomerIdentity(Base):
    """A normalised handle (e-mail, E.164 phone, visitor id, external id) that points at one customer."""

    __tablename__ = "customer_identities"
    __table_args__ = (UniqueConstraint("kind", "namespace", "value", name="uq_identity"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    namespace: Mapped[str] = mapped_column(String(40), default="")
    value: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]


class CustomerMerge(Base):
    """One merge of `source` into `target`, with exactly what moved, so that it can be undone."""

    __tablename__ = "customer_merges"
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # {"identities": [ids], "conversations": [ids], "tickets": [ids]} moved from source to target.
    moved: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    merged_at: Mapped[datetime]
    undone_at: Mapped[datetime | None] = mapped_column(nullable=True)
