"""Facet counts: listed profiles per filter value, under the text query and the other filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.directory.adapters.orm import (
    Cohort,
    CohortMembership,
    ExpertiseTag,
    Organisation,
    Profile,
)
from services.directory.adapters.search.filters import SearchFilters, listed
from services.directory.adapters.search.words import text_condition
from services.directory.domain.search_query import SearchTerms

FACET_LIMIT = 50


async def facet_counts(
    session: AsyncSession,
    *,
    terms: SearchTerms,
    filters: SearchFilters,
    wanted: Sequence[str],
) -> dict[str, list[dict[str, Any]]]:
    """Counts of listed profiles per facet value, under the text query and every filter except
    the facet's own (so the other values of a facet you filtered on still show their counts).
    At most FACET_LIMIT values per facet, largest first."""
    text_conditions: list[ColumnElement[bool]] = []
    if terms:
        text_conditions.append(Profile.search_vector.op("@@")(await text_condition(session, terms)))
    result: dict[str, list[dict[str, Any]]] = {}
    for facet in wanted:
        where = listed() + text_conditions + filters.conditions(skip=facet)
        result[facet] = await _facet(session, facet, where)
    return result


async def _facet(
    session: AsyncSession, facet: str, where: list[ColumnElement[bool]]
) -> list[dict[str, Any]]:
    count = func.count().label("count")
    if facet in ("sector", "region"):
        column = Profile.sector if facet == "sector" else Profile.region
        rows = await session.execute(
            select(column, count)
            .where(*where, column.is_not(None))
            .group_by(column)
            .order_by(count.desc(), column)
            .limit(FACET_LIMIT)
        )
        return [{"value": value, "count": n} for value, n in rows]
    if facet == "organisation":
        rows = await session.execute(
            select(Organisation.id, Organisation.name, count)
            .select_from(Profile)
            .join(Organisation, Organisation.id == Profile.organisation_id)
            .where(*where)
            .group_by(Organisation.id, Organisation.name)
            .order_by(count.desc(), Organisation.name)
            .limit(FACET_LIMIT)
        )
        return [{"value": str(i), "label": name, "count": n} for i, name, n in rows]
    if facet == "cohort":
        rows = await session.execute(
            select(Cohort.id, Cohort.name, Cohort.year, count)
            .select_from(Profile)
            .join(CohortMembership, CohortMembership.member_id == Profile.member_id)
            .join(Cohort, Cohort.id == CohortMembership.cohort_id)
            .where(*where)
            .group_by(Cohort.id, Cohort.name, Cohort.year)
            .order_by(count.desc(), Cohort.year.desc())
            .limit(FACET_LIMIT)
        )
        return [
            {"value": str(i), "label": f"{name} ({year})", "count": n} for i, name, year, n in rows
        ]
    tag = func.unnest(Profile.expertise).label("tag")
    inner = select(tag).where(*where).subquery()
    rows = await session.execute(
        select(inner.c.tag, ExpertiseTag.label, count)
        .join(ExpertiseTag, ExpertiseTag.slug == inner.c.tag, isouter=True)
        .group_by(inner.c.tag, ExpertiseTag.label)
        .order_by(count.desc(), inner.c.tag)
        .limit(FACET_LIMIT)
    )
    return [{"value": slug, "label": label or slug, "count": n} for slug, label, n in rows]
