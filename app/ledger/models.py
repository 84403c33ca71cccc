"""Double-entry books: accounts, journal entries and their postings.

A posting is a signed amount in fen: positive debits, negative credits. Every entry's
postings add up to zero, and an account's balance is the sum of its postings: derived,
never stored.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import utcnow
from app.extensions import db


class LedgerAccount(db.Model):
    """One account; `party` splits an account per counterparty (each supplier's payable)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("code", "party_type", "party_id", name="uq_ledger_accounts_code_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    party_type: Mapped[str] = mapped_column(String(20), default="")
    party_id: Mapped[int] = mapped_column(default=0)


class JournalEntry(db.Model):
    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_company_occurred", "company_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What caused it, once: posting the same event twice returns the first entry.
    event_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    memo: Mapped[str] = mapped_column(String(200), default="")
    order_id: Mapped[int | None] = mapped_column(index=True)
    company_id: Mapped[int | None]
    # The entry this one takes money back out of (a refund's reversal of a payment).
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    postings: Mapped[list[Posting]] = relationship(back_populates="entry", order_by="Posting.id")


class Posting(db.Model):
    __tablename__ = "ledger_postings"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    entry: Mapped[JournalEntry] = relationship(back_populates="postings")
    account: Mapped[LedgerAccount] = relationship()
