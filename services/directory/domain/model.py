"""The directory domain: vocabularies, privacy rules and completeness. No I/O here."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta


class ProfileStatus(enum.StrEnum):
    #: Created from an invitation; seen only by its member and programme admins until published.
    DRAFT = "draft"
    PUBLISHED = "published"


class Sector(enum.StrEnum):
    CENTRAL_GOVERNMENT = "central_government"
    LOCAL_GOVERNMENT = "local_government"
    NHS_HEALTH = "nhs_health"
    POLICE_JUSTICE = "police_justice"
    EDUCATION = "education"
    ARMED_FORCES = "armed_forces"
    DEVOLVED_ADMINISTRATIONS = "devolved_administrations"
    ARMS_LENGTH_BODIES = "arms_length_bodies"
    OTHER = "other"


SECTOR_LABELS: dict[Sector, str] = {
    Sector.CENTRAL_GOVERNMENT: "Central government",
    Sector.LOCAL_GOVERNMENT: "Local government",
    Sector.NHS_HEALTH: "NHS and health",
    Sector.POLICE_JUSTICE: "Police and justice",
    Sector.EDUCATION: "Education",
    Sector.ARMED_FORCES: "Armed forces",
    Sector.DEVOLVED_ADMINISTRATIONS: "Devolved administrations",
    Sector.ARMS_LENGTH_BODIES: "Arm's-length bodies",
    Sector.OTHER: "Other",
}


class Region(enum.StrEnum):
    """The UK's ITL1 regions; Wales, Scotland and Northern Ireland are the devolved nations."""

    NORTH_EAST = "north_east"
    NORTH_WEST = "north_west"
    YORKSHIRE_AND_THE_HUMBER = "yorkshire_and_the_humber"
    EAST_MIDLANDS = "east_midlands"
    WEST_MIDLANDS = "west_midlands"
    EAST_OF_ENGLAND = "east_of_england"
    LONDON = "london"
    SOUTH_EAST = "south_east"
    SOUTH_WEST = "south_west"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


REGION_LABELS: dict[Region, str] = {
    Region.NORTH_EAST: "North East",
    Region.NORTH_WEST: "North West",
    Region.YORKSHIRE_AND_THE_HUMBER: "Yorkshire and The Humber",
    Region.EAST_MIDLANDS: "East Midlands",
    Region.WEST_MIDLANDS: "West Midlands",
    Region.EAST_OF_ENGLAND: "East of England",
    Region.LONDON: "London",
    Region.SOUTH_EAST: "South East",
    Region.SOUTH_WEST: "South West",
    Region.WALES: "Wales",
    Region.SCOTLAND: "Scotland",
    Region.NORTHERN_IRELAND: "Northern Ireland",
}


class OrganisationType(enum.StrEnum):
    MINISTERIAL_DEPARTMENT = "ministerial_department"
    NON_MINISTERIAL_DEPARTMENT = "non_ministerial_department"
    EXECUTIVE_AGENCY = "executive_agency"
    NON_DEPARTMENTAL_PUBLIC_BODY = "non_departmental_public_body"
    PUBLIC_CORPORATION = "public_corporation"
    DEVOLVED_GOVERNMENT = "devolved_government"
    LOCAL_AUTHORITY = "local_authority"
    NHS_BODY = "nhs_body"
    POLICE_FORCE = "police_force"
    ARMED_FORCES = "armed_forces"
    EDUCATION_BODY = "education_body"
    OTHER = "other"


class Visibility(enum.StrEnum):
    """Who may see a field (the owner and their delegate always can), widest first.

    Each level includes the narrower ones' viewers: a field shared with `departments` is seen
    by every member too, and leaves Convene in the public profile events (issue 9).
    """

    DEPARTMENTS = "departments"
    MEMBERS = "members"
    COHORT = "cohort"
    CONNECTIONS = "connections"
    HIDDEN = "hidden"


class PrivateField(enum.StrEnum):
    """The fields whose visibility the member chooses. Every other profile field (names, job
    title, organisation, sector, region, expertise, cohorts, languages) is seen by every member
    once the profile is published: it is what the directory is for."""

    EMAIL = "email"
    PHONE = "phone"
    ASSISTANT = "assistant"
    BIO = "bio"
    PHOTO = "photo"


class ListedField(enum.StrEnum):
    """The fields every member sees once a profile is published. Their only choice is whether
    other departments see them too (`departments`); otherwise they stay at `members`."""

    NAME = "name"  # full and preferred name
    JOB_TITLE = "job_title"
    ORGANISATION = "organisation"
    SECTOR = "sector"
    REGION = "region"
    EXPERTISE = "expertise"
    LANGUAGES = "languages"


#: The visibility levels a listed field may have.
LISTED_LEVELS = frozenset({Visibility.DEPARTMENTS, Visibility.MEMBERS})
#: A photo cannot leave Convene: public events carry text, and departments have no photo route.
NEVER_FOR_DEPARTMENTS = frozenset({PrivateField.PHOTO})


#: Private by default (UK GDPR data protection by default): contact details reach only
#: accepted connections until the member widens them.
DEFAULT_VISIBILITY: dict[PrivateField, Visibility] = {
    PrivateField.EMAIL: Visibility.CONNECTIONS,
    PrivateField.PHONE: Visibility.CONNECTIONS,
    PrivateField.ASSISTANT: Visibility.CONNECTIONS,
    PrivateField.BIO: Visibility.MEMBERS,
    PrivateField.PHOTO: Visibility.MEMBERS,
}


def visibility_settings(stored: Mapping[str, str] | None) -> dict[PrivateField, Visibility]:
    """Every private field's visibility: what is stored, the default for anything missing.

    An unknown stored value falls back to `hidden`, never to something wider.
    """
    settings = dict(DEFAULT_VISIBILITY)
    for name, value in (stored or {}).items():
        try:
            field = PrivateField(name)
        except ValueError:
            continue
        try:
            settings[field] = Visibility(value)
        except ValueError:
            settings[field] = Visibility.HIDDEN
    return settings


def listed_settings(stored: Mapping[str, str] | None) -> dict[ListedField, Visibility]:
    """Every listed field's visibility: `members` unless the member chose `departments`.

    Anything else stored falls back to `members`, which is what every member sees anyway.
    """
    stored = stored or {}
    return {
        field: Visibility.DEPARTMENTS
        if stored.get(field.value) == Visibility.DEPARTMENTS
        else Visibility.MEMBERS
        for field in ListedField
    }


def stored_visibility(stored: Mapping[str, str] | None) -> dict[str, str]:
    """The complete visibility map as it is kept on a profile: private and listed fields."""
    return {
        **{field.value: level.value for field, level in visibility_settings(stored).items()},
        **{field.value: level.value for field, level in listed_settings(stored).items()},
    }


def shared_with_departments(stored: Mapping[str, str] | None) -> frozenset[str]:
    """The names of the fields (private or listed) the member shares with other departments."""
    relations = frozenset({Relation.DEPARTMENT})
    private = visible_fields(visibility_settings(stored), relations) - NEVER_FOR_DEPARTMENTS
    listed = {f for f, level in listed_settings(stored).items() if may_see(level, relations)}
    return frozenset(f.value for f in (*private, *listed))


class Relation(enum.StrEnum):
    """How a viewer stands to a profile's member, widest access first."""

    SELF = "self"
    DELEGATE = "delegate"
    CONNECTION = "connection"
    COHORT = "cohort"
    MEMBER = "member"
    #: Nobody in particular: what an event or a search index may carry.
    EVERYONE = "everyone"
    #: Another department, outside Convene: what a public event may carry.
    DEPARTMENT = "department"


@dataclass(frozen=True)
class Viewer:
    """What the privacy rules need to know about whoever is looking.

    `connections` and `cohorts` are the viewer's own, so a relation to any profile can be
    worked out without another query. Programme admins get no wider access to private fields:
    their role lets them see drafts and the audit, not a member's hidden phone number.
    """

    member_id: str | None
    cohorts: frozenset[str] = frozenset()
    connections: frozenset[str] = frozenset()
    principals: frozenset[str] = frozenset()
    is_admin: bool = False

    def relation_to(self, member_id: str, member_cohorts: frozenset[str]) -> frozenset[Relation]:
        """Every relation the viewer has to `member_id` (one viewer can be several at once)."""
        if self.member_id is None:
            return frozenset({Relation.EVERYONE})
        relations = {Relation.MEMBER, Relation.EVERYONE}
        if self.member_id == member_id:
            relations.add(Relation.SELF)
        if member_id in self.principals:
            relations.add(Relation.DELEGATE)
        if member_id in self.connections:
            relations.add(Relation.CONNECTION)
        if self.cohorts & member_cohorts:
            relations.add(Relation.COHORT)
        return frozenset(relations)


#: An event or a search index: nobody's relation but "a member of Convene".
EVERYONE = Viewer(member_id=None)


def may_see(visibility: Visibility, relations: frozenset[Relation]) -> bool:
    if Relation.SELF in relations or Relation.DELEGATE in relations:
        return True
    if visibility is Visibility.DEPARTMENTS:
        return bool(relations & {Relation.MEMBER, Relation.EVERYONE, Relation.DEPARTMENT})
    if visibility is Visibility.MEMBERS:
        return Relation.MEMBER in relations or Relation.EVERYONE in relations
    if visibility is Visibility.COHORT:
        return Relation.COHORT in relations
    if visibility is Visibility.CONNECTIONS:
        return Relation.CONNECTION in relations
    return False


def visible_fields(
    settings: Mapping[PrivateField, Visibility], relations: frozenset[Relation]
) -> frozenset[PrivateField]:
    """The private fields this relation may see."""
    return frozenset(field for field, level in settings.items() if may_see(level, relations))


# -- completeness -------------------------------------------------------------------------

BIO_MIN_CHARS = 80


@dataclass(frozen=True)
class ProfileFacts:
    """What completeness looks at, taken from a profile."""

    job_title: str | None
    organisation_id: str | None
    sector: str | None
    region: str | None
    bio: str | None
    expertise: tuple[str, ...]
    languages: tuple[str, ...]
    has_photo: bool
    has_contact: bool
    preferred_name: str | None


@dataclass(frozen=True)
class MissingItem:
    item: str
    hint: str


_CHECKS: tuple[tuple[str, str, str], ...] = (
    ("job_title", "Add your job title.", "job_title"),
    ("organisation", "Choose your organisation from the list.", "organisation_id"),
    ("sector", "Choose the sector you work in.", "sector"),
    ("region", "Choose the region you are based in.", "region"),
    ("bio", f"Write a short bio (at least {BIO_MIN_CHARS} characters).", "bio"),
    ("expertise", "Add at least one area of expertise.", "expertise"),
    ("photo", "Upload a photo so others recognise you.", "photo"),
    ("contact", "Add an email address or phone number.", "contact"),
    ("languages", "List the languages you work in.", "languages"),
    ("preferred_name", "Tell others what you like to be called.", "preferred_name"),
)


def completeness(facts: ProfileFacts) -> tuple[int, list[MissingItem]]:
    """A score from 0 to 100 (equal weights) and the items still missing, in nudge order."""
    done = {
        "job_title": bool(facts.job_title),
        "organisation": bool(facts.organisation_id),
        "sector": bool(facts.sector),
        "region": bool(facts.region),
        "bio": bool(facts.bio) and len((facts.bio or "").strip()) >= BIO_MIN_CHARS,
        "expertise": bool(facts.expertise),
        "photo": facts.has_photo,
        "contact": facts.has_contact,
        "languages": bool(facts.languages),
        "preferred_name": bool(facts.preferred_name),
    }
    missing = [MissingItem(item, hint) for item, hint, _ in _CHECKS if not done[item]]
    score = round(100 * (len(_CHECKS) - len(missing)) / len(_CHECKS))
    return score, missing


# -- freshness -----------------------------------------------------------------------------

STALE_AFTER = timedelta(days=365)


def is_stale(confirmed_at: datetime | None, now: datetime) -> bool:
    """Not confirmed for 12 months (a never-confirmed profile counts from its publication)."""
    return confirmed_at is not None and now - confirmed_at > STALE_AFTER


def stale_from(confirmed_at: datetime | None) -> datetime | None:
    """The moment after which `is_stale` holds (None: never, until first confirmed)."""
    return None if confirmed_at is None else confirmed_at + STALE_AFTER
