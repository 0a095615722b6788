"""Feedback's API schemas, named for their use."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from services.feedback.domain.model import (
    K_ANONYMITY,
    MAX_FREE_TEXT,
    MAX_STATEMENT,
    Anonymity,
    AudienceKind,
    CampaignStatus,
    QuestionKind,
    StatementStatus,
    Vote,
)
from services.feedback.domain.report_versions import MINIMUM_AUDIENCE, MINIMUM_COHORT

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Sector = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QuestionCreate(_Strict):
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")] = Field(
        description="Short id the answers use, e.g. `support` (lower case, digits, - and _)."
    )
    kind: QuestionKind
    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    options: list[Option] = Field(default_factory=list, max_length=20)
    scale_min: int = Field(default=1, ge=0, le=10)
    scale_max: int = Field(default=5, ge=1, le=10)
    required: bool = False

    @model_validator(mode="after")
    def _fits_kind(self) -> QuestionCreate:
        choice = self.kind in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)
        if choice and (len(self.options) < 2 or len(set(self.options)) != len(self.options)):
            raise ValueError("a choice question needs at least two different options")
        if not choice and self.options:
            raise ValueError("only choice questions have options")
        if self.kind == QuestionKind.RATING and self.scale_min >= self.scale_max:
            raise ValueError("scale_min must be below scale_max")
        return self


class QuestionRead(BaseModel):
    id: str
    kind: QuestionKind
    prompt: str
    options: list[str]
    scale_min: int
    scale_max: int
    required: bool


class CampaignCreate(_Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    question: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)
    ] = Field(description="What the Prime Minister is asking, shown first.")
    context: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    audience: AudienceKind = AudienceKind.ALL
    cohort_id: UUID | None = Field(default=None, description="Required when audience is cohort.")
    sectors: list[Sector] = Field(
        default_factory=list, max_length=50, description="Required when audience is sectors."
    )
    anonymity: Anonymity = Anonymity.ANONYMOUS
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    questions: list[QuestionCreate] = Field(default_factory=list, max_length=20)
    statements: list[
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=3, max_length=MAX_STATEMENT)
        ]
    ] = Field(default_factory=list, max_length=50, description="Seed statements (approved).")

    @model_validator(mode="after")
    def _consistent(self) -> CampaignCreate:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        if self.audience == AudienceKind.COHORT and self.cohort_id is None:
            raise ValueError("a cohort audience needs cohort_id")
        if self.audience != AudienceKind.COHORT and self.cohort_id is not None:
            raise ValueError("cohort_id is only for a cohort audience")
        if self.audience == AudienceKind.SECTORS and not self.sectors:
            raise ValueError("a sectors audience needs at least one sector")
        if self.audience != AudienceKind.SECTORS and self.sectors:
            raise ValueError("sectors are only for a sectors audience")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be different")
        return self


class ReportingRulesRead(BaseModel):
    """What the reports of a campaign may show, so an admin knows before the campaign opens."""

    k: int = Field(description="No figure describes fewer people than this.")
    minimum_audience: int = Field(
        description="An audience smaller than this at the close gets headline figures only."
    )
    minimum_cohort: int = Field(
        description="A cohort is a breakdown value only with at least this many members at close."
    )
    interim_new_respondents: int = Field(
        description="An interim report needs this many new respondents since the last version."
    )
    summary: str

    @classmethod
    def current(cls) -> ReportingRulesRead:
        k, audience, cohort = K_ANONYMITY, MINIMUM_AUDIENCE, MINIMUM_COHORT
        return cls(
            k=k,
            minimum_audience=audience,
            minimum_cohort=cohort,
            interim_new_respondents=k,
            summary=(
                f"Reports never show a figure about fewer than {k} people. Breakdowns by "
                f"sector, region and cohort appear only in the final report, only if at least "
                f"{audience} members are in the audience when the campaign closes, and a cohort "
                f"is shown only if it has at least {cohort} members then. An interim report can "
                f"be published only after at least {k} more people have taken part since the "
                "last one, and anything hidden in one version stays hidden in later ones. Once "
                "the campaign closes its final report can be corrected in wording only."
            ),
        )


class CampaignRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    question: str
    context: str
    audience: AudienceKind
    cohort_id: UUID | None
    sectors: list[str]
    anonymity: Anonymity
    opens_at: datetime
    closes_at: datetime
    status: CampaignStatus
    opened_at: datetime | None
    closed_at: datetime | None
    questions: list[QuestionRead]
    reporting: ReportingRulesRead = Field(default_factory=ReportingRulesRead.current)

    @classmethod
    def of(cls, campaign: Any) -> CampaignRead:
        return cls(
            id=campaign.id,
            title=campaign.title,
            question=campaign.question,
            context=campaign.context,
            audience=campaign.audience_kind,
            cohort_id=campaign.audience_cohort_id,
            sectors=list(campaign.audience_sectors or ()),
            anonymity=campaign.anonymity,
            opens_at=campaign.opens_at,
            closes_at=campaign.closes_at,
            status=campaign.status,
            opened_at=campaign.opened_at,
            closed_at=campaign.closed_at,
            questions=[QuestionRead.model_validate(q) for q in campaign.questions],
        )


class ResponseWrite(_Strict):
    answers: dict[Annotated[str, StringConstraints(max_length=40)], Any] = Field(
        max_length=20,
        description=(
            "Question id -> answer: a whole number (rating), an option (single choice), a "
            f"list of options (multiple choice) or text up to {MAX_FREE_TEXT} characters."
        ),
    )


class ResponseRead(BaseModel):
    campaign_id: UUID
    answers: dict[str, Any]
    revision: int = Field(description="1 for the first answer, +1 for each change.")
    anonymous: bool


class StatementCreate(_Strict):
    text: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=3, max_length=MAX_STATEMENT)
    ]


class StatementRead(BaseModel):
    id: UUID
    text: str
    status: StatementStatus
    my_vote: Vote | None = None
    #: Only admins see these.
    rejection_reason: str | None = None
    votes: int | None = None


class ModerationDecision(_Strict):
    decision: Literal["approve", "reject"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None

    @model_validator(mode="after")
    def _reason_for_rejection(self) -> ModerationDecision:
        if self.decision == "reject" and not self.reason:
            raise ValueError("a rejection needs a reason")
        return self


class VoteCreate(_Strict):
    vote: Vote


class VoteRead(BaseModel):
    statement_id: UUID
    vote: Vote


class ReportCorrectionCreate(_Strict):
    """A correction of a closed campaign's final report: wording only, figures never move."""

    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ] = Field(description="Why the report is corrected; shown on the corrected version.")
    withdraw_statements: list[UUID] = Field(
        default_factory=list,
        max_length=50,
        description="Statements approved by mistake: their text is no longer shown.",
    )


class FollowUpCreate(_Strict):
    you_said: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
    ]
    we_did: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    campaign_id: UUID
    you_said: str
    we_did: str
    posted_at: datetime


class MyGroupRead(BaseModel):
    """The opinion group the caller's votes fall in (groups have at least k members)."""

    campaign_id: UUID
    label: str
    size: int
    distinctive: list[dict[str, Any]]
    report_version: int
