"""Feedback's tables; only this service reads or writes them. Its own arrive with its issue."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


metadata = Base.metadata
