"""The search index of each profile and the vocabulary of indexed words (typo tolerance)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_REFRESH = text(
    """
    UPDATE profiles AS p SET search_vector = CASE WHEN p.status = 'published' THEN
        setweight(to_tsvector('simple',
            coalesce(p.full_name, '') || ' ' || coalesce(p.preferred_name, '')), 'A')
        || setweight(to_tsvector('simple',
            coalesce(p.job_title, '') || ' ' || coalesce(o.name, p.organisation)), 'B')
        || setweight(to_tsvector('simple', coalesce(
            (SELECT string_agg(t.label, ' ') FROM expertise_tags t
             WHERE t.slug = ANY (p.expertise)), '')), 'B')
        || setweight(to_tsvector('simple',
            replace(coalesce(p.sector, ''), '_', ' ') || ' '
            || replace(coalesce(p.region, ''), '_', ' ')), 'C')
        || setweight(to_tsvector('simple',
            CASE WHEN p.visibility ->> 'bio' IN ('members', 'departments')
            THEN coalesce(p.bio, '') ELSE '' END), 'D')
    END
    FROM profiles AS p2 LEFT JOIN organisations AS o ON o.id = p2.organisation_id
    WHERE p2.member_id = p.member_id
      AND (CAST(:member_id AS uuid) IS NULL OR p.member_id = CAST(:member_id AS uuid))
    """
)

_REMEMBER_WORDS = text(
    """
    INSERT INTO search_words (word)
    SELECT DISTINCT w FROM profiles, unnest(tsvector_to_array(search_vector)) AS w
    WHERE search_vector IS NOT NULL
      AND (CAST(:member_id AS uuid) IS NULL OR member_id = CAST(:member_id AS uuid))
      AND length(w) BETWEEN 3 AND 100 AND w ~ '^[[:alnum:]]+$'
    ON CONFLICT DO NOTHING
    """
)


async def refresh_search_index(session: AsyncSession, member_id: UUID | None) -> None:
    """Rebuild the index entry of one profile (or of all, with None) from its current state.

    Call after any change to a profile, its organisation's name or its visibility.
    """
    params = {"member_id": str(member_id) if member_id else None}
    await session.execute(_REFRESH, params)
    await session.execute(_REMEMBER_WORDS, params)


async def forget_words(session: AsyncSession, words: Sequence[str]) -> None:
    """Drop vocabulary words no listed profile holds any more (after an erasure)."""
    if not words:
        return
    await session.execute(
        text(
            """
            DELETE FROM search_words AS w WHERE w.word = ANY (CAST(:words AS text[]))
            AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.status = 'published' AND p.active
                            AND p.search_vector @@ plainto_tsquery('simple', w.word))
            """
        ),
        {"words": list(words)},
    )


async def indexed_words(session: AsyncSession, member_id: UUID) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT unnest(tsvector_to_array(search_vector)) FROM profiles "
            "WHERE member_id = :member_id AND search_vector IS NOT NULL"
        ),
        {"member_id": member_id},
    )
    return [row[0] for row in rows]


#: A typed prefix completes to at most this many vocabulary words; beyond that the query keeps
