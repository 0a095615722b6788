"""Campaigns, questions, answers and pseudonyms: the rules, with no I/O."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from services.feedback.domain.errors import CampaignNotOpen, InvalidAnswers

#: No breakdown cell, opinion group or theme counting fewer people than this is ever shown.
K_ANONYMITY = 5
MAX_FREE_TEXT = 2000
MAX_STATEMENT = 280


class Anonymity(StrEnum):
    ANONYMOUS = "anonymous"
    ATTRIBUTED = "attributed"


class AudienceKind(StrEnum):
    ALL = "all"
    COHORT = "cohort"
    SECTORS = "sectors"


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class QuestionKind(StrEnum):
    RATING = "rating"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    FREE_TEXT = "free_text"


class StatementStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Vote(StrEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    PASS = "pass"  # noqa: S105 - a vote, not a password

    @property
    def value_in_matrix(self) -> int:
        return {Vote.AGREE: 1, Vote.DISAGREE: -1, Vote.PASS: 0}[self]


@dataclass(frozen=True)
class Question:
    id: str
    kind: QuestionKind
    prompt: str
    options: tuple[str, ...] = ()
    scale_min: int = 1
    scale_max: int = 5
    required: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "prompt": self.prompt,
            "options": list(self.options),
            "scale_min": self.scale_min,
            "scale_max": self.scale_max,
            "required": self.required,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        return cls(
            id=data["id"],
            kind=QuestionKind(data["kind"]),
            prompt=data["prompt"],
            options=tuple(data.get("options") or ()),
            scale_min=data.get("scale_min", 1),
            scale_max=data.get("scale_max", 5),
            required=bool(data.get("required", False)),
        )


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    cohort_id: UUID | None = None
    sectors: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemberFacts:
    """What feedback knows about a member, from identity and directory events."""

    active: bool
    cohort_ids: frozenset[UUID]
    sector: str | None


def in_audience(audience: Audience, member: MemberFacts | None) -> bool:
    """Whether this member may see and answer a campaign. Unknown or inactive members may not."""
    if member is None or not member.active:
        return False
    if audience.kind == AudienceKind.ALL:
        return True
    if audience.kind == AudienceKind.COHORT:
        return audience.cohort_id in member.cohort_ids
    return member.sector is not None and member.sector in audience.sectors


def status_at(opens_at: datetime, closes_at: datetime, now: datetime) -> CampaignStatus:
    if now >= closes_at:
        return CampaignStatus.CLOSED
    return CampaignStatus.OPEN if now >= opens_at else CampaignStatus.SCHEDULED


def require_open(status: str, closes_at: datetime, now: datetime) -> None:
    """Answers, statements and votes are taken only while open and before the closing time
    (an early close moves the closing time to now before the clock closes the campaign)."""
    if status != CampaignStatus.OPEN or now >= closes_at:
        raise CampaignNotOpen(CampaignStatus.CLOSED.value if now >= closes_at else status)


def check_answers(questions: list[Question], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, normalised, or InvalidAnswers naming every problem.

    Unanswered optional questions are left out; empty free text counts as unanswered.
    """
    by_id = {q.id: q for q in questions}
    problems: list[str] = [
        f"{key}: there is no such question" for key in answers if key not in by_id
    ]
    clean: dict[str, Any] = {}
    for question in questions:
        value = answers.get(question.id)
        if value is None or value == "" or value == []:
            if question.required:
                problems.append(f"{question.id}: an answer is required")
            continue
        problem = _answer_problem(question, value)
        if problem:
            problems.append(f"{question.id}: {problem}")
        elif question.kind == QuestionKind.MULTIPLE_CHOICE:
            clean[question.id] = sorted(set(value), key=question.options.index)
        elif question.kind == QuestionKind.FREE_TEXT:
            clean[question.id] = value.strip()
        else:
            clean[question.id] = value
    if problems:
        raise InvalidAnswers(problems)
    return clean


def _answer_problem(question: Question, value: Any) -> str | None:
    kind = question.kind
    if kind == QuestionKind.RATING:
        if isinstance(value, bool) or not isinstance(value, int):
            return "a rating must be a whole number"
        if not question.scale_min <= value <= question.scale_max:
            return f"a rating must be from {question.scale_min} to {question.scale_max}"
    elif kind == QuestionKind.SINGLE_CHOICE:
        if not isinstance(value, str) or value not in question.options:
            return "choose one of the options"
    elif kind == QuestionKind.MULTIPLE_CHOICE:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "give a list of options"
        unknown = [v for v in value if v not in question.options]
        if unknown:
            return f"not options of this question: {', '.join(sorted(set(unknown)))}"
    elif not isinstance(value, str):
        return "free text must be text"
    elif len(value) > MAX_FREE_TEXT:
        return f"free text is limited to {MAX_FREE_TEXT} characters"
    elif not value.strip():
        return "free text must not be blank"
    return None


_PSEUDONYM_CONTEXT = b"convene.feedback.pseudonym.v1"


def pseudonym(key: bytes, member_salt: bytes, campaign_id: UUID) -> str:
    """The member's stable, unlinkable name within one campaign.

    HMAC-SHA256 under the service key of a per-member random salt and the campaign id: the same
    member gets the same pseudonym in a campaign (one answer, editable), different pseudonyms in
    different campaigns, and nobody without the key can compute or reverse it. Erasing the salt
    (crypto-shredding) ends the link for good, even for someone holding the key.
    """
    message = _PSEUDONYM_CONTEXT + b"|" + member_salt + b"|" + campaign_id.bytes
    return hmac.new(key, message, hashlib.sha256).hexdigest()
