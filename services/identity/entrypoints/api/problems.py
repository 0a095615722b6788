"""Identity's domain errors as problem documents: one table, so every route answers alike."""

from __future__ import annotations

from services.chassis.problems import DomainProblems
from services.identity.domain.errors import (
    AlreadyInvited,
    CohortExists,
    CohortNotFound,
    DomainNotAllowed,
    IdentityError,
    InvitationNotFound,
    LinkNotValid,
    MemberNotFound,
    NotAllowed,
    RateLimited,
    RefreshNotValid,
    ServiceAccountNotFound,
    UnknownScopes,
)

# Domain error -> (status, title, problem code).
PROBLEMS = DomainProblems(
    IdentityError,
    {
        RateLimited: (429, "Too many requests", "rate-limited"),
        AlreadyInvited: (409, "Already invited", "already-invited"),
        DomainNotAllowed: (422, "Email domain not allowed", "domain-not-allowed"),
        LinkNotValid: (400, "Link not valid", "link-not-valid"),
        RefreshNotValid: (401, "Session ended", "session-ended"),
        MemberNotFound: (404, "Not found", "member-not-found"),
        InvitationNotFound: (404, "Not found", "invitation-not-found"),
        CohortNotFound: (404, "Not found", "cohort-not-found"),
        CohortExists: (409, "Cohort exists", "cohort-exists"),
        ServiceAccountNotFound: (404, "Not found", "service-account-not-found"),
        UnknownScopes: (422, "Unknown scopes", "unknown-scopes"),
        NotAllowed: (409, "Not allowed", "not-allowed"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run
