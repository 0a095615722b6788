"""Keyset pagination: opaque cursors over (created_at, id)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Generic, TypeVar
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from services.chassis.problems import Problem

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            created_at, id_ = json.loads(base64.urlsafe_b64decode(padded))
            return cls(datetime.fromisoformat(created_at), UUID(id_))
        except (ValueError, TypeError) as exc:
            raise Problem(400, "Bad cursor", "The page cursor is not valid.", "bad-cursor") from exc


class Page(BaseModel, Generic[T]):
    items: list[T]
    #: Pass as `cursor` to get the next page; absent on the last page.
    next_cursor: str | None = None


PageSize = Annotated[int, Query(ge=1, le=100, description="Items per page")]
PageCursor = Annotated[str | None, Query(description="`next_cursor` from the previous page")]
