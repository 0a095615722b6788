"""Realistic synthetic leaders for development and the benchmark (Faker, en_GB).

Nobody here is real: names, phone numbers and bios are generated; organisations come from the
committed reference list. Ids are derived from the seed and the index, so seeding again with the
same seed adds nothing new (safe on every `convene up`).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.chassis.database import UnitOfWork
from services.directory import events
from services.directory.adapters.orm import Organisation, Profile
from services.directory.adapters.reference_data import seed_expertise_tags, seed_organisations
from services.directory.adapters.search.index import refresh_search_index
from services.directory.domain.model import (
    DEFAULT_VISIBILITY,
    PrivateField,
    Region,
    Sector,
    Visibility,
)

DEMO_NAMESPACE = uuid.UUID("7d3b4f0e-2a51-4c8e-9b1f-0c5a6e7d8f90")

SECTOR_OF_TYPE: dict[str, Sector] = {
    "ministerial_department": Sector.CENTRAL_GOVERNMENT,
    "non_ministerial_department": Sector.CENTRAL_GOVERNMENT,
    "executive_agency": Sector.ARMS_LENGTH_BODIES,
    "non_departmental_public_body": Sector.ARMS_LENGTH_BODIES,
    "public_corporation": Sector.ARMS_LENGTH_BODIES,
    "devolved_government": Sector.DEVOLVED_ADMINISTRATIONS,
    "local_authority": Sector.LOCAL_GOVERNMENT,
    "nhs_body": Sector.NHS_HEALTH,
    "police_force": Sector.POLICE_JUSTICE,
    "armed_forces": Sector.ARMED_FORCES,
    "education_body": Sector.EDUCATION,
    "other": Sector.OTHER,
}

TITLES: dict[Sector, list[str]] = {
    Sector.CENTRAL_GOVERNMENT: [
        "Permanent Secretary",
        "Second Permanent Secretary",
        "Director General, {area}",
        "Director, {area}",
        "Chief Operating Officer",
        "Chief Digital and Information Officer",
        "Finance Director General",
    ],
    Sector.LOCAL_GOVERNMENT: [
        "Chief Executive",
        "Director of Children's Services",
        "Director of Adult Social Care",
        "Director of Public Health",
        "Executive Director, {area}",
    ],
    Sector.NHS_HEALTH: [
        "Chief Executive",
        "Chief Nurse",
        "Medical Director",
        "Chief Operating Officer",
        "Director of Strategy",
        "Regional Director",
    ],
    Sector.POLICE_JUSTICE: [
        "Chief Constable",
        "Deputy Chief Constable",
        "Assistant Commissioner",
        "Director, {area}",
        "Chief Executive",
    ],
    Sector.EDUCATION: ["Vice-Chancellor", "Chief Executive", "Principal", "Director, {area}"],
    Sector.ARMED_FORCES: [
        "Brigadier",
        "Major General",
        "Air Vice-Marshal",
        "Rear Admiral",
        "Director, {area}",
    ],
    Sector.DEVOLVED_ADMINISTRATIONS: [
        "Permanent Secretary",
        "Director General, {area}",
        "Director, {area}",
    ],
    Sector.ARMS_LENGTH_BODIES: ["Chief Executive", "Chair", "Director, {area}", "Chief Inspector"],
    Sector.OTHER: ["Chief Executive", "Director, {area}"],
}

AREAS = [
    "Strategy",
    "Digital",
    "Finance",
    "Operations",
    "Policy",
    "Transformation",
    "People",
    "Delivery",
    "Borders",
    "Housing",
    "Net Zero",
    "Public Services",
    "Commercial",
    "Resilience",
]

REGION_HINTS: dict[str, Region] = {
    "Scot": Region.SCOTLAND,
    "Glasgow": Region.SCOTLAND,
    "Edinburgh": Region.SCOTLAND,
    "Wales": Region.WALES,
    "Welsh": Region.WALES,
    "Cardiff": Region.WALES,
    "Dyfed": Region.WALES,
    "Northern Ireland": Region.NORTHERN_IRELAND,
    "Belfast": Region.NORTHERN_IRELAND,
    "Manchester": Region.NORTH_WEST,
    "Leeds": Region.YORKSHIRE_AND_THE_HUMBER,
    "Yorkshire": Region.YORKSHIRE_AND_THE_HUMBER,
    "Birmingham": Region.WEST_MIDLANDS,
    "West Midlands": Region.WEST_MIDLANDS,
    "Essex": Region.EAST_OF_ENGLAND,
    "Chelmsford": Region.EAST_OF_ENGLAND,
    "Kent": Region.SOUTH_EAST,
    "Cornwall": Region.SOUTH_WEST,
    "Bristol": Region.SOUTH_WEST,
    "Newcastle": Region.NORTH_EAST,
    "London": Region.LONDON,
    "Oxford": Region.SOUTH_EAST,
}

BIO_OPENINGS = [
    "Leads {org}'s work on {topic}, with a focus on {focus}.",
    "Joined {org} in {year} after senior roles across the public sector.",
    "Responsible for {topic} at {org}; previously led {focus} programmes.",
    "Has spent two decades in public service, most recently leading {topic} at {org}.",
]
BIO_CLOSINGS = [
    "Keen to share what has worked on {focus} with peers in other sectors.",
    "Chairs a cross-government network on {topic}.",
    "Mentors future leaders and speaks regularly on {focus}.",
    "Interested in joint work on {topic} across organisational boundaries.",
]


@dataclass(frozen=True)
class DemoLeader:
    values: dict[str, Any]


def generate_leaders(count: int, *, seed: int = 2026) -> Iterator[DemoLeader]:
    """`count` published profiles as column values for the profiles table, deterministically."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    organisations = seed_organisations()
    tags = seed_expertise_tags()
    now = datetime.now(UTC)
    for index in range(count):
        organisation = rng.choice(organisations)
        sector = SECTOR_OF_TYPE.get(organisation.type, Sector.OTHER)
        region = next(
            (r for hint, r in REGION_HINTS.items() if hint in organisation.name),
            Region.LONDON if sector is Sector.CENTRAL_GOVERNMENT else rng.choice(list(Region)),
        )
        female = rng.random() < 0.5
        first = fake.first_name_female() if female else fake.first_name_male()
        last = fake.last_name()
        honorific = rng.choice(["", "", "", "", "", "Dr ", "Professor ", "Dame/Sir "])
        if honorific == "Dame/Sir ":
            honorific = "Dame " if female else "Sir "
        full_name = f"{honorific}{first} {last}"
        title = rng.choice(TITLES[sector]).format(area=rng.choice(AREAS))
        chosen = rng.sample(tags, k=rng.randint(1, 3))
        topic, focus = chosen[0][1].lower(), rng.choice(tags)[1].lower()
        bio = " ".join(
            [
                rng.choice(BIO_OPENINGS).format(
                    org=organisation.name, topic=topic, focus=focus, year=rng.randint(2005, 2024)
                ),
                rng.choice(BIO_CLOSINGS).format(topic=topic, focus=focus),
            ]
        )
        languages = ["English"]
        if region is Region.WALES and rng.random() < 0.4:
            languages.append("Welsh")
        if region is Region.SCOTLAND and rng.random() < 0.1:
            languages.append("Scottish Gaelic")
        if rng.random() < 0.15:
            languages.append(
                rng.choice(["French", "German", "Urdu", "Punjabi", "Polish", "Arabic"])
            )
        visibility = {f.value: v.value for f, v in DEFAULT_VISIBILITY.items()}
        if rng.random() < 0.3:
            visibility[PrivateField.EMAIL.value] = Visibility.MEMBERS.value
        if rng.random() < 0.2:
            visibility[PrivateField.PHONE.value] = Visibility.COHORT.value
        published = now - timedelta(days=rng.randint(1, 600))
        confirmed = published + timedelta(days=rng.randint(0, max(0, (now - published).days)))
        email_name = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        yield DemoLeader(
            {
                "member_id": uuid.uuid5(DEMO_NAMESPACE, f"{seed}:{index}"),
                "full_name": full_name,
                "preferred_name": first if rng.random() < 0.3 else None,
                "organisation": organisation.name,
                "organisation_id": organisation.id,
                "status": "published",
                "job_title": title,
                "sector": sector.value,
                "region": region.value,
                "bio": bio,
                "expertise": [slug for slug, _ in chosen],
                "languages": languages,
                "email": f"{email_name}{index}@example.gov.uk",
                "phone": fake.phone_number()[:40],
                "assistant_name": fake.name() if rng.random() < 0.5 else None,
                "assistant_email": None,
                "assistant_phone": None,
                "visibility": visibility,
                "active": True,
                "has_photo": False,
                "created_at": published,
                "updated_at": confirmed,
                "published_at": published,
                "confirmed_at": confirmed,
                "sort_name": full_name.lower(),
            }
        )


async def seed_demo(
    engine: AsyncEngine,
    count: int,
    *,
    seed: int = 2026,
    source: str = "/convene/directory",
    publish_events: bool = True,
    batch: int = 1000,
) -> int:
    """Insert `count` demo leaders (skipping ids already present), index them, and (with
    `publish_events`) publish ProfilePublished for each new one. Returns how many were new."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    added: list[uuid.UUID] = []
    rows: list[dict[str, Any]] = []

    async def flush() -> None:
        if not rows:
            return
        async with sessions() as session:
            result = await session.execute(
                pg_insert(Profile)
                .values(rows)
                .on_conflict_do_nothing()
                .returning(Profile.member_id)
            )
            added.extend(result.scalars().all())
            await session.commit()
        rows.clear()

    for leader in generate_leaders(count, seed=seed):
        rows.append(leader.values)
        if len(rows) >= batch:
            await flush()
    await flush()
    if not added:
        return 0
    async with sessions() as session:
        await refresh_search_index(session, None)
        await session.commit()
    if publish_events:
        async with sessions() as session:
            uow = UnitOfWork(session, source)
            organisations = {o.id: o for o in (await session.scalars(select(Organisation))).all()}
            for start in range(0, len(added), 500):
                chunk = added[start : start + 500]
                profiles = (
                    await session.scalars(select(Profile).where(Profile.member_id.in_(chunk)))
                ).all()
                for profile in profiles:
                    organisation = (
                        organisations.get(profile.organisation_id)
                        if profile.organisation_id
                        else None
                    )
                    await events.publish_profile_changed(
                        uow, profile, organisation, [], first_time=True
                    )
            await session.commit()
    return len(added)


def seed_demo_command(count: int, *, seed: int, publish_events: bool) -> None:
    """`convene seed-demo`: into the directory database its settings name (run after migrate)."""
    from services.chassis.config import load_settings
    from services.chassis.database import create_engine
    from services.directory.config import DirectorySettings

    settings = load_settings(DirectorySettings, "convene-directory")

    async def run() -> int:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            return await seed_demo(engine, count, seed=seed, publish_events=publish_events)
        finally:
            await engine.dispose()

    added = asyncio.run(run())
    print(f"convene-directory: {added} demo leaders added ({count} requested)")


__all__ = ["generate_leaders", "seed_demo", "seed_demo_command"]
