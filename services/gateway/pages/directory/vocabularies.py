"""The directory's vocabularies: labels for sectors, regions, fields and visibility levels,
and the limits it enforces (so the forms never restate them)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from fastapi import Request

from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import WebSession
from services.gateway.web.templates import environment

#: The fields every member sees once the profile is published; the only choice is whether
#: other departments see them too (the directory's `listed_fields`).
LISTED_FIELD_LABELS = {
    "name": "Your name",
    "job_title": "Job title",
    "organisation": "Organisation",
    "sector": "Sector",
    "region": "Region",
    "expertise": "Expertise",
    "languages": "Languages",
}
PRIVATE_FIELD_LABELS = {
    "email": "Email address",
    "phone": "Phone number",
    "assistant": "Assistant",
    "bio": "Bio",
    "photo": "Photo",
}
#: Labels for the visibility levels we know; a level the directory adds later is still offered
#: (the choices come from its `/vocabularies`), with a label made from its name.
VISIBILITY_LABELS = {
    "departments": (
        "Every Convene member and other government departments",
        "Departments that subscribe to Convene's public events receive it too",
    ),
    "members": ("Every Convene member", None),
    "cohort": ("Members of your programme cohorts", None),
    "connections": ("People whose contact request you accepted, or who accepted yours", None),
    "hidden": ("Nobody else", "Only you and your delegates"),
}


def visibility_label(level: str) -> str:
    known = VISIBILITY_LABELS.get(level)
    return known[0] if known else level.replace("_", " ").capitalize()


environment.filters["visibility_label"] = visibility_label


async def fetch_vocabularies(request: Request, session: WebSession) -> dict[str, Any]:
    answer = await call_service(request, session, "directory", "GET", "/vocabularies")
    vocabularies: dict[str, Any] = answer.json()
    return vocabularies


def sector_region_labels(vocabularies: dict[str, Any]) -> dict[str, str]:
    return {
        item["value"]: item["label"]
        for kind in ("sectors", "regions")
        for item in vocabularies.get(kind, [])
    }


def listed_field_labels(vocabularies: dict[str, Any]) -> dict[str, str]:
    return {
        field: LISTED_FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        for field in vocabularies.get("listed_fields", [])
    }


@dataclass(frozen=True)
class Limits:
    """The limits the directory enforces, as its `/vocabularies` states them: the forms check
    them first only to say what is wrong by the field, in words a person can act on."""

    bio_max_chars: int
    photo_max_bytes: int
    reason_min_chars: int
    reason_max_chars: int
    report_note_max_chars: int

    @classmethod
    def of(cls, vocabularies: dict[str, Any]) -> Limits:
        stated = vocabularies["limits"]
        return cls(**{limit.name: int(stated[limit.name]) for limit in fields(cls)})

    @property
    def photo_max_kb(self) -> int:
        """The photo limit as the pages state it: KB of 1024 bytes."""
        return self.photo_max_bytes // 1024


async def fetch_limits(request: Request, session: WebSession) -> Limits:
    return Limits.of(await fetch_vocabularies(request, session))
