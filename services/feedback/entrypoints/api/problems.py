"""Feedback's domain errors as problem+json answers: one table, so every route answers alike."""

from __future__ import annotations

from services.chassis.problems import DomainProblems, Problem
from services.feedback.domain.errors import (
    AlreadyVoted,
    CampaignClosed,
    CampaignNotFound,
    CampaignNotOpen,
    CorrectionBeforeClose,
    CorrectionMovesFigures,
    DuplicateStatement,
    FeedbackError,
    InvalidAnswers,
    InvalidCampaign,
    InvalidCorrection,
    NoReport,
    NotPlaced,
    ReportIsFinal,
    StatementNotApproved,
    StatementNotFound,
    TooFewNewRespondents,
    TooManyStatements,
)


def _invalid_answers(exc: Exception) -> Problem:
    assert isinstance(exc, InvalidAnswers)
    return Problem(422, "Invalid answers", str(exc), "invalid-answers", errors=exc.problems)


# Domain error -> (status, title, problem code).
PROBLEMS = DomainProblems(
    FeedbackError,
    {
        InvalidAnswers: _invalid_answers,
        CampaignNotFound: (404, "Not found", "campaign-not-found"),
        StatementNotFound: (404, "Not found", "statement-not-found"),
        NoReport: (404, "Not found", "no-report"),
        NotPlaced: (404, "Not found", "not-placed"),
        CampaignNotOpen: (409, "Campaign not open", "campaign-not-open"),
        CampaignClosed: (409, "Campaign closed", "campaign-closed"),
        StatementNotApproved: (409, "Statement not approved", "statement-not-approved"),
        AlreadyVoted: (409, "Already voted", "already-voted"),
        DuplicateStatement: (409, "Duplicate statement", "duplicate-statement"),
        TooManyStatements: (429, "Too many statements", "too-many-statements"),
        InvalidCampaign: (422, "Invalid campaign", "invalid-campaign"),
        TooFewNewRespondents: (409, "Too few new respondents", "too-few-new-respondents"),
        ReportIsFinal: (409, "The final report is published", "report-is-final"),
        CorrectionBeforeClose: (409, "Nothing to correct yet", "correction-before-close"),
        CorrectionMovesFigures: (
            409,
            "A correction cannot move figures",
            "correction-moves-figures",
        ),
        InvalidCorrection: (422, "Invalid correction", "invalid-correction"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run
