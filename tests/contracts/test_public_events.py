"""The public-event convention: an event is public exactly when its topic starts with `public.`.

Other departments subscribe to `public_topics()`; if an internal event could land on one of
those topics, or a public one on an internal topic, a subscriber would either receive data it
must not have or miss what it was promised.
"""

from __future__ import annotations

import re

import pytest

from contracts.base import IntegrationEvent
from contracts.registry import (
    REGISTRY,
    EventSpec,
    is_public_topic,
    owning_service,
    public_specs,
    public_topics,
    topics,
)

SERVICES = {"identity", "directory", "feedback", "content"}
PUBLIC_TOPIC = re.compile(r"^public\.(?P<service>[a-z_]+)\.(?P<aggregate>[a-z_]+)\.v[1-9][0-9]*$")
#: Types named before the convention existed; service-account scopes name them, so they stay.
NAMED_BEFORE_PUBLIC_TOPICS = {
    "feedback.campaign.report_published.v1",
    "feedback.campaign.follow_up_posted.v1",
}


@pytest.mark.parametrize("spec", REGISTRY.values(), ids=lambda spec: spec.event_type)
def test_public_exactly_when_on_a_public_topic(spec: EventSpec) -> None:
    assert spec.public is spec.model.public
    assert spec.public == spec.topic.startswith("public."), (
        f"{spec.event_type} is public={spec.public} but travels on {spec.topic}"
    )
    assert is_public_topic(spec.topic) == spec.public


@pytest.mark.parametrize("spec", public_specs(), ids=lambda spec: spec.event_type)
def test_public_topics_are_named_for_their_service_and_aggregate(spec: EventSpec) -> None:
    match = PUBLIC_TOPIC.match(spec.topic)
    assert match, f"{spec.topic} is not public.<service>.<aggregate>.v<N>"
    assert match["service"] in SERVICES
    assert owning_service(spec.topic) == match["service"]
    stem = spec.topic.rsplit(".", 1)[0]  # public.<service>.<aggregate>
    if spec.event_type in NAMED_BEFORE_PUBLIC_TOPICS:
        stem = stem.removeprefix("public.")
    assert spec.event_type.startswith(stem + "."), (
        f"{spec.event_type} should be named {stem}.<past tense>.v<N> on {spec.topic}"
    )


def test_the_registry_lists_the_public_topics_and_only_those() -> None:
    assert public_topics() == [
        "public.content.item.v1",
        "public.directory.organisation.v1",
        "public.directory.profile.v1",
        "public.feedback.campaign.v1",
        "public.identity.cohort.v1",
    ]
    assert set(public_topics()) <= set(topics())
    assert [spec.event_type for spec in public_specs()] == sorted(
        spec.event_type for spec in REGISTRY.values() if spec.public
    )
    for topic in public_topics():
        assert all(spec.public for spec in REGISTRY.values() if spec.topic == topic)


def test_no_public_event_carries_a_member_audience_or_curator_field() -> None:
    """Fields that would say who is in a group or who did what never appear in a public model."""
    forbidden = {
        "audience",  # content's internal audience object (cohort ids and sectors of readers)
        "cohort_ids",
        "author_id",
        "approved_by",
        "added_by",
        "created_by",
        "made_by",
        "decided_by",
        "changed_by",
        "deactivated_by",
        "roles",
        "pseudonym",
    }
    for spec in public_specs():
        model: type[IntegrationEvent] = spec.model
        shared = forbidden & set(model.model_fields)
        if spec.event_type == "public.feedback.campaign.opened.v1":
            shared -= {"audience"}  # a campaign's audience kind, not a list of people
        assert not shared, f"{spec.event_type} carries {sorted(shared)}"
