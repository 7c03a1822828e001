"""CSAT surveys on three dimensions: attitude, efficiency, accuracy (1–5 each)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = tuple(
        CheckConstraint(f"{d} IS NULL OR {d} BETWEEN 1 AND 5", name=f"{d}_1_to_5")
        for d in ("attitude", "efficiency", "accuracy")
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # The one-time token in the customer's link; unguessable.
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), nullable=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(20))
    sent_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attitude: Mapped[int | None] = mapped_column(Integer, nullable=True)
    efficiency: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accuracy: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
