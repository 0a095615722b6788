"""The directory domain. No I/O here."""

from __future__ import annotations

import enum


class ProfileStatus(enum.StrEnum):
    #: Created from an invitation; seen only by its member and programme admins until published.
    DRAFT = "draft"
    PUBLISHED = "published"
