"""The demo generator: deterministic, valid against the directory's own vocabularies."""

from __future__ import annotations

from devstack.directory_demo import generate_leaders
from services.directory.adapters.reference_data import seed_expertise_tags, seed_organisations
from services.directory.domain.model import Region, Sector
from services.directory.schemas import ProfileUpdate


def test_the_same_seed_gives_the_same_leaders() -> None:
    first = [leader.values for leader in generate_leaders(30, seed=7)]
    again = [leader.values for leader in generate_leaders(30, seed=7)]
    other = [leader.values for leader in generate_leaders(30, seed=8)]
    strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith("_at")} for r in rows]  # noqa: E731
    assert strip(first) == strip(again)
    assert {r["member_id"] for r in first}.isdisjoint({r["member_id"] for r in other})


def test_every_leader_is_valid_and_varied() -> None:
    tags = {slug for slug, _ in seed_expertise_tags()}
    organisations = {o.id for o in seed_organisations()}
    leaders = [leader.values for leader in generate_leaders(500, seed=1)]
    for row in leaders:
        Sector(row["sector"])
        Region(row["region"])
        assert set(row["expertise"]) <= tags
        assert row["organisation_id"] in organisations
        assert row["published_at"] <= row["confirmed_at"]
        ProfileUpdate.model_validate(
            {"job_title": row["job_title"], "bio": row["bio"], "languages": row["languages"]}
        )
    assert len({r["sector"] for r in leaders}) >= 7
    assert len({r["region"] for r in leaders}) >= 10
    assert len({r["full_name"] for r in leaders}) > 450
