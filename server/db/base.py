"""The declarative base and the column shapes every table shares."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import BigInteger, DateTime, Enum, ForeignKey, Numeric, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(14, 2)


def enum_column(kind: type[enum.Enum]) -> Enum:
    """A VARCHAR column with a CHECK constraint: adding a value is a cheap migration."""
    return Enum(
        kind,
        native_enum=False,
        create_constraint=True,
        length=48,
        values_callable=lambda members: [member.value for member in members],
        name=f"ck_{kind.__name__.lower()}",
    )


class Base(DeclarativeBase):
    pass


def pk() -> Mapped[int]:
    return mapped_column(BigInteger, primary_key=True, autoincrement=True)


def created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def txid() -> Mapped[int]:
    """The inserting transaction's 64-bit id (see migration 0003)."""
    return mapped_column(
        BigInteger, server_default=text("(pg_current_xact_id())::text::bigint"), nullable=False
    )


def insurer() -> Mapped[int]:
    return mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
