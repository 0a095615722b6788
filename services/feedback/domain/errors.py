"""Domain errors: each maps to one clear API answer (see entrypoints/api/problems.py)."""

from __future__ import annotations


class FeedbackError(Exception):
    """Base of feedback's domain errors."""


class CampaignNotFound(FeedbackError):
    """Unknown, or not in this member's audience: one message, so audiences cannot be probed."""

    def __init__(self) -> None:
        super().__init__("There is no campaign with that id open to you.")


class StatementNotFound(FeedbackError):
    def __init__(self) -> None:
        super().__init__("There is no statement with that id in this campaign.")


class CampaignNotOpen(FeedbackError):
    def __init__(self, status: str) -> None:
        super().__init__(f"This campaign is {status}: it takes answers and votes only while open.")
        self.status = status


class CampaignClosed(FeedbackError):
    def __init__(self) -> None:
        super().__init__("This campaign is closed.")


class InvalidAnswers(FeedbackError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class InvalidCampaign(FeedbackError):
    """A campaign definition that breaks a rule pydantic cannot check alone."""


class StatementNotApproved(FeedbackError):
    def __init__(self) -> None:
        super().__init__("Votes are taken only on statements a moderator has approved.")


class AlreadyVoted(FeedbackError):
    def __init__(self) -> None:
        super().__init__("You have already voted on this statement; votes cannot be changed.")


class TooManyStatements(FeedbackError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"You can add at most {limit} statements to one campaign.")


class DuplicateStatement(FeedbackError):
    def __init__(self) -> None:
        super().__init__("This campaign already has that statement.")


class NoReport(FeedbackError):
    def __init__(self) -> None:
        super().__init__("No report has been published for this campaign yet.")


class NotPlaced(FeedbackError):
    def __init__(self) -> None:
        super().__init__(
            "Your votes do not place you in an opinion group: you may not have voted on enough "
            "statements, or no group was large enough to report."
        )


class TooFewNewRespondents(FeedbackError):
    """An interim report needs k new respondents since the last published version."""

    def __init__(self, k: int, new: int) -> None:
        super().__init__(
            f"An interim report needs at least {k} new respondents since the last published "
            f"version, so that no version differs from another by fewer than {k} people; "
            f"there are {new}."
        )


class ReportIsFinal(FeedbackError):
    def __init__(self) -> None:
        super().__init__(
            "This campaign has closed and has its final report: a new version can only be a "
            "correction (give a reason) whose published figures do not move."
        )


class CorrectionBeforeClose(FeedbackError):
    def __init__(self) -> None:
        super().__init__("Only a closed campaign's final report can be corrected.")


class CorrectionMovesFigures(FeedbackError):
    def __init__(self) -> None:
        super().__init__(
            "A correction may change wording only: this one would change the final report's "
            "published figures, which stay as they were at the close."
        )


class InvalidCorrection(FeedbackError):
    """A correction naming something the final report does not show."""
