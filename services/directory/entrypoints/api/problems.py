"""Domain error -> (status, title, problem code). One table, so every route answers alike."""

from __future__ import annotations

from services.chassis.problems import DomainProblems, Problem
from services.directory.domain.errors import (
    Blocked,
    Conflict,
    DirectoryError,
    InvalidChange,
    NotPermitted,
    OrganisationNotFound,
    PhotoRejected,
    ProfileNotFound,
    RateLimited,
    RequestNotFound,
)


def _photo_rejected(exc: Exception) -> Problem:
    assert isinstance(exc, PhotoRejected)
    if exc.too_large:
        return Problem(413, "Photo too large", str(exc), "photo-too-large")
    return Problem(415, "Unsupported photo type", str(exc), "photo-type")


PROBLEMS = DomainProblems(
    DirectoryError,
    {
        RateLimited: (429, "Too many requests", "rate-limited"),
        PhotoRejected: _photo_rejected,
        ProfileNotFound: (404, "Not found", "profile-not-found"),
        RequestNotFound: (404, "Not found", "contact-request-not-found"),
        OrganisationNotFound: (404, "Not found", "organisation-not-found"),
        NotPermitted: (403, "Forbidden", "not-permitted"),
        InvalidChange: (422, "Invalid change", "invalid-change"),
        Conflict: (409, "Conflict", "conflict"),
        Blocked: (403, "Forbidden", "blocked"),
    },
)
#: Await a handler, answering its domain error as the table says.
run = PROBLEMS.run
