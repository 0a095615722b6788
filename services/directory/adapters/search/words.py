"""What each typed term may match, from the vocabulary: completions and look-alikes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import Text

from services.directory.domain.search_query import SearchTerms, WordChoices

#: the (slower, unbounded) `term:*` prefix scan, so nothing that matched before is lost.
MAX_COMPLETIONS = 40

_EXPAND = text(
    """
    SELECT t.term, c.word, false AS similar
    FROM unnest(CAST(:prefixed AS text[])) AS t(term)
    CROSS JOIN LATERAL (
        SELECT word FROM search_words
        WHERE word ~>=~ t.term AND word ~<~ (t.term || chr(1114111))
        LIMIT :completions
    ) AS c
    UNION ALL
    SELECT t.term, s.word, true
    FROM unnest(CAST(:fuzzy AS text[])) AS t(term)
    CROSS JOIN LATERAL (
        SELECT word FROM search_words
        WHERE word % t.term AND word <> t.term
          AND NOT EXISTS (SELECT 1 FROM search_words e WHERE e.word = t.term)
        ORDER BY word <-> t.term LIMIT 3
    ) AS s
    """
)


async def expand_terms(session: AsyncSession, terms: SearchTerms) -> WordChoices:
    """What each term may match, from the vocabulary, in one statement: the whole words a
    prefix completes to (exact GIN lookups are far cheaper than a `term:*` scan), and for
    longer terms that are not themselves indexed words, up to 3 indexed words that look like
    them (pg_trgm similarity): "chelmsfrod" -> ["chelmsford"]."""
    prefixed = list(terms.prefix_terms())
    fuzzy = list(terms.fuzzy_terms())
    if not prefixed and not fuzzy:
        return WordChoices()
    rows = await session.execute(
        _EXPAND,
        {"prefixed": prefixed, "fuzzy": fuzzy, "completions": MAX_COMPLETIONS + 1},
    )
    choices = WordChoices()
    for term, word, similar in rows:
        found = choices.similar if similar else choices.completions
        found.setdefault(term, []).append(word)
    return choices


def ts_query(tsquery: str) -> ColumnElement[Any]:
    return func.to_tsquery(text("'simple'::regconfig"), bindparam("tsq", tsquery, type_=Text))


async def text_condition(session: AsyncSession, terms: SearchTerms) -> ColumnElement[Any]:
    condition, _ = await text_query(session, terms)
    return condition


async def text_query(
    session: AsyncSession, terms: SearchTerms
) -> tuple[ColumnElement[Any], WordChoices]:
    choices = await expand_terms(session, terms)
    return ts_query(terms.tsquery(choices, max_completions=MAX_COMPLETIONS)), choices
