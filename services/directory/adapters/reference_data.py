"""The committed reference lists (organisations, expertise tags) and their stable ids."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
#: Seeded organisations get ids derived from their names, so every environment agrees on them.
ORGANISATION_NAMESPACE = uuid.UUID("3f0f1c55-8d0e-4a57-9a3c-5d1c2f6b7e01")


@dataclass(frozen=True)
class SeedOrganisation:
    id: uuid.UUID
    name: str
    type: str
    parent_id: uuid.UUID | None


def organisation_id(name: str) -> uuid.UUID:
    return uuid.uuid5(ORGANISATION_NAMESPACE, name.strip().lower())


def seed_organisations() -> list[SeedOrganisation]:
    """Parents before children, so rows can be inserted in order."""
    with (DATA / "organisations.csv").open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    organisations = [
        SeedOrganisation(
            id=organisation_id(row["name"]),
            name=row["name"].strip(),
            type=row["type"].strip(),
            parent_id=organisation_id(row["parent"]) if row["parent"].strip() else None,
        )
        for row in rows
    ]
    roots = [o for o in organisations if o.parent_id is None]
    ordered, placed = list(roots), {o.id for o in roots}
    pending = [o for o in organisations if o.parent_id is not None]
    while pending:
        ready = [o for o in pending if o.parent_id in placed]
        if not ready:
            raise ValueError("organisations.csv names a parent that is not in the list")
        ordered += ready
        placed |= {o.id for o in ready}
        pending = [o for o in pending if o.id not in placed]
    return ordered


def seed_expertise_tags() -> list[tuple[str, str]]:
    """(slug, label) pairs."""
    with (DATA / "expertise_tags.csv").open(newline="", encoding="utf-8") as file:
        return [(row["slug"].strip(), row["label"].strip()) for row in csv.DictReader(file)]
