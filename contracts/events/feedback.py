"""Events published by the feedback service.

Every figure in these events describes at least k = 5 people (the schemas say so with
`minimum`): breakdown cells and opinion groups under 5 are never formed or published, and
breakdown tables are complementarily suppressed so no hidden cell can be derived from totals.
No event carries a member id, a pseudonym or a raw answer.

Internal events travel on `feedback.campaign.v1`; the public ones (issue 9: other departments
may read them) on `public.feedback.campaign.v1`, both keyed by campaign id. The report and
follow-up types moved to the public topic before anything outside Convene consumed them; their
type names stay, since service-account scopes name them.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from contracts.base import IntegrationEvent

CAMPAIGN_TOPIC = "feedback.campaign.v1"
PUBLIC_CAMPAIGN_TOPIC = "public.feedback.campaign.v1"
#: The smallest number of people any published figure may describe.
K_ANONYMITY = 5


class _CampaignEvent(IntegrationEvent):
    topic: ClassVar[str] = CAMPAIGN_TOPIC
    subject_field: ClassVar[str] = "campaign_id"

    campaign_id: UUID


class _PublicCampaignEvent(_CampaignEvent):
    topic: ClassVar[str] = PUBLIC_CAMPAIGN_TOPIC
    public: ClassVar[bool] = True


class CampaignOpenedV1(_CampaignEvent):
    """A feedback campaign opened: members in its audience can now answer and vote.

    Internal: other Convene services (e.g. content) may tell the audience about it.
    """

    event_type: ClassVar[str] = "feedback.campaign.opened.v1"

    title: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=1000)
    audience: Literal["all", "cohort", "sectors"]
    audience_cohort_id: UUID | None = None
    audience_sectors: list[str] = Field(default_factory=list)
    anonymity: Literal["anonymous", "attributed"]
    opens_at: datetime
    closes_at: datetime


class CampaignClosedV1(_CampaignEvent):
    """A feedback campaign closed (at its closing time or early by an admin), exactly once."""

    event_type: ClassVar[str] = "feedback.campaign.closed.v1"

    closed_at: datetime
    respondents: int = Field(ge=0, description="People who answered or voted.")


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ReportFiguresV1(_Part):
    respondents: int = Field(ge=0, description="People who answered or voted.")
    responses: int = Field(ge=0)
    voters: int = Field(ge=0)
    statements: int = Field(ge=0, description="Approved statements.")
    votes: int = Field(ge=0)


class ThemeV1(_Part):
    phrase: str
    responses: int = Field(ge=K_ANONYMITY)


class QuestionResultV1(_Part):
    question_id: str
    prompt: str
    kind: Literal["rating", "single_choice", "multiple_choice", "free_text"]
    answered: int = Field(ge=0)
    withheld: bool = Field(description="True when fewer than 5 answered: nothing else is shown.")
    mean: float | None = None
    distribution: dict[str, int] | None = None
    themes: list[ThemeV1] = Field(default_factory=list)


class StatementResultV1(_Part):
    statement_id: UUID
    text: str
    direction: Literal["agree", "disagree", "split"]
    votes: int = Field(ge=K_ANONYMITY)
    agree_rate: float = Field(ge=0, le=1)
    disagree_rate: float = Field(ge=0, le=1)


class GroupStatementV1(_Part):
    statement_id: UUID
    text: str
    direction: Literal["agree", "disagree"]
    group_rate: float = Field(ge=0, le=1)
    others_rate: float = Field(ge=0, le=1)


class OpinionGroupV1(_Part):
    label: str
    size: int = Field(ge=K_ANONYMITY)
    distinctive: list[GroupStatementV1] = Field(default_factory=list)


class BreakdownCellV1(_Part):
    value: str
    respondents: int = Field(ge=K_ANONYMITY)
    mean: float | None = None
    shares: dict[str, float] | None = None


class BreakdownV1(_Part):
    dimension: Literal["sector", "region", "cohort"]
    question_id: str | None = Field(
        default=None, description="None: respondents per value; otherwise that question's answers."
    )
    withheld: bool = Field(description="Some cells were withheld to protect small groups.")
    cells: list[BreakdownCellV1]


class ReportCorrectionV1(_Part):
    of_version: int = Field(ge=1, description="The version this one corrects.")
    reason: str = Field(min_length=1, max_length=500)


class PublicCampaignOpenedV1(_PublicCampaignEvent):
    """A campaign opened: its title, question, who it asks and when it closes.

    Public. The audience is described by kind, cohort id and sector slugs only: who is in it,
    and whether any member has answered, is never said.
    """

    event_type: ClassVar[str] = "public.feedback.campaign.opened.v1"

    title: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1, max_length=1000)
    audience: Literal["all", "cohort", "sectors"] = Field(
        description="all: every member; cohort: one programme cohort; sectors: members working "
        "in one of `audience_sectors`."
    )
    audience_cohort_id: UUID | None = Field(
        default=None, description="The cohort (see public.identity.cohort.v1) when audience=cohort."
    )
    audience_sectors: list[str] = Field(default_factory=list, description="Sector slugs.")
    anonymity: Literal["anonymous", "attributed"]
    opens_at: datetime
    closes_at: datetime


class PublicCampaignClosedV1(_PublicCampaignEvent):
    """A campaign closed (at its closing time or early), exactly once. Public.

    The final report follows as `feedback.campaign.report_published.v1` with `final: true`.
    """

    event_type: ClassVar[str] = "public.feedback.campaign.closed.v1"

    closed_at: datetime
    respondents: int = Field(ge=0, description="How many people answered or voted, in total.")


class CampaignReportPublishedV1(_PublicCampaignEvent):
    """A campaign's aggregated report for the Prime Minister was published.

    Public: departments may subscribe. It holds aggregates only: no member ids, pseudonyms or
    raw answers; every count, group and breakdown cell covers at least 5 people.
    """

    event_type: ClassVar[str] = "feedback.campaign.report_published.v1"

    version: int = Field(ge=1, description="Reports of a campaign are numbered from 1.")
    final: bool = Field(description="True once the campaign has closed.")
    title: str
    question: str
    published_at: datetime
    k: int = Field(ge=K_ANONYMITY, description="Smallest group any figure describes.")
    figures: ReportFiguresV1
    questions: list[QuestionResultV1]
    consensus: list[StatementResultV1]
    divisive: list[StatementResultV1]
    groups: list[OpinionGroupV1]
    breakdowns: list[BreakdownV1]
    correction: ReportCorrectionV1 | None = Field(
        default=None,
        description="Set when this version corrects the final report: only wording changed, "
        "every figure is the final report's.",
    )


class CampaignFollowUpPostedV1(_PublicCampaignEvent):
    """'You said, we did': what happened because of a campaign. Public, no personal data.

    Content may turn it into an item for the campaign's audience.
    """

    event_type: ClassVar[str] = "feedback.campaign.follow_up_posted.v1"

    follow_up_id: UUID
    title: str
    you_said: str = Field(min_length=1, max_length=2000)
    we_did: str = Field(min_length=1, max_length=4000)
    posted_at: datetime
