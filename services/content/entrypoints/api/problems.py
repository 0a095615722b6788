"""Content's domain errors as problem documents. One table, so every route answers alike."""

from __future__ import annotations

from services.chassis.problems import DomainProblems
from services.content.domain.errors import (
    ContentError,
    EventClosed,
    IllegalTransition,
    InvalidItem,
    ItemNotFound,
    LinkNotValid,
    NoRsvp,
    NotAnEvent,
    NotPermitted,
    ProfileFromDirectory,
    TopicExists,
    TopicNotFound,
    UnsupportedDocument,
    UploadTooLarge,
)

# Domain error -> (status, title, problem code).
PROBLEMS = DomainProblems(
    ContentError,
    {
        ItemNotFound: (404, "Not found", "item-not-found"),
        TopicNotFound: (404, "Not found", "topic-not-found"),
        TopicExists: (409, "Topic exists", "topic-exists"),
        NotPermitted: (403, "Forbidden", "forbidden"),
        IllegalTransition: (409, "Not allowed now", "illegal-transition"),
        InvalidItem: (422, "Invalid item", "invalid-item"),
        NotAnEvent: (409, "Not an event", "not-an-event"),
        EventClosed: (409, "RSVPs closed", "rsvp-closed"),
        NoRsvp: (404, "Not found", "no-rsvp"),
        ProfileFromDirectory: (409, "Profile kept by the directory", "profile-from-directory"),
        LinkNotValid: (400, "Link not valid", "link-not-valid"),
        UploadTooLarge: (413, "Request too large", "too-large"),
        UnsupportedDocument: (415, "Unsupported document", "unsupported-document"),
    },
)
as_problem = PROBLEMS.problem
run = PROBLEMS.run
