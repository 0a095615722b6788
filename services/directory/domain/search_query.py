"""Turning what a person typed into a safe, bounded full-text query. No I/O here.

Only letters and digits survive tokenising, so no PostgreSQL tsquery operator (`&`, `|`, `!`,
`<->`, `:*`, quotes, brackets) typed by a user can reach `to_tsquery`: injection is harmless
by construction, not by escaping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 200
MAX_TERMS = 6
MAX_TERM_CHARS = 40
#: Terms this short match too much as prefixes; they must match whole words.
MIN_PREFIX_CHARS = 3
#: Terms at least this long are also matched against similar words (typos).
MIN_FUZZY_CHARS = 4

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

#: Marks around matched words in snippets; swapped for <mark> after HTML-escaping.
MARK_START, MARK_STOP = "\x02", "\x03"
#: A snippet is at most this many words, starting a few words before the first match.
SNIPPET_WORDS = 24
SNIPPET_LEAD = 4


@dataclass
class WordChoices:
    """What the vocabulary offers each term: the whole words a prefix completes to, and words
    that look like a mistyped term."""

    completions: dict[str, list[str]] = field(default_factory=dict)
    similar: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchTerms:
    terms: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def fuzzy_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) >= MIN_FUZZY_CHARS)

    def prefix_terms(self) -> tuple[str, ...]:
        return tuple(t for t in self.terms if len(t) >= MIN_PREFIX_CHARS)

    def tsquery(self, choices: WordChoices | None = None, *, max_completions: int = 0) -> str:
        """A `to_tsquery('simple', ...)` text: every term must match (as a word prefix, or as
        one of the similar vocabulary words found for it).

        A prefix is spelled out as the vocabulary words it completes to when there are at
        most `max_completions` of them (same matches, cheaper); otherwise it stays `term:*`.
        """
        choices = choices or WordChoices()
        groups = []
        for term in self.terms:
            if len(term) < MIN_PREFIX_CHARS:
                options = [term]
            else:
                completions = choices.completions.get(term, [])
                if 0 < len(completions) <= max_completions and all(
                    _WORD.fullmatch(w) for w in completions
                ):
                    options = completions
                else:
                    options = [f"{term}:*"]
            options += [word for word in choices.similar.get(term, []) if _WORD.fullmatch(word)]
            groups.append("(" + " | ".join(dict.fromkeys(options)) + ")")
        return " & ".join(groups)


def snippet(text: str | None, terms: SearchTerms, choices: WordChoices) -> str | None:
    """Matched words of `text` in context, marked, or None unless every term matches a word of
    it (the same rule as the query: a whole word, a prefix of one, or a similar word).

    Done here rather than with `ts_headline`, which re-parsed each bio in the database and
    was a large part of a search statement's time (docs/performance.md).
    """
    if not text or not terms:
        return None
    lowered = text.lower()
    # Most bios on a page do not match (a name search): a substring test per term says so
    # without tokenising the bio.
    if not all(
        term in lowered or any(word in lowered for word in choices.similar.get(term, ()))
        for term in terms.terms
    ):
        return None
    words = list(_WORD.finditer(text))
    matched = [_matches(m.group(0).lower(), terms, choices) for m in words]
    found = set().union(*matched) if matched else set()
    if len(found) < len(terms.terms):
        return None
    first = next(i for i, hit in enumerate(matched) if hit)
    start = max(0, first - SNIPPET_LEAD)
    window = words[start : start + SNIPPET_WORDS]
    parts: list[str] = []
    cursor = window[0].start()
    for index, word in enumerate(window, start):
        parts.append(text[cursor : word.start()])
        marked = matched[index]
        parts.append(f"{MARK_START}{word.group(0)}{MARK_STOP}" if marked else word.group(0))
        cursor = word.end()
    if start + SNIPPET_WORDS >= len(words):
        parts.append(text[cursor:].rstrip())
    return "".join(parts)


def _matches(word: str, terms: SearchTerms, choices: WordChoices) -> set[str]:
    """The terms this (lower-cased) word satisfies."""
    return {
        term
        for term in terms.terms
        if word == term
        or (len(term) >= MIN_PREFIX_CHARS and word.startswith(term))
        or word in choices.similar.get(term, ())
    }


def parse_query(text: str) -> SearchTerms:
    """Lower-cased letter/digit words, at most MAX_TERMS of at most MAX_TERM_CHARS each.

    The caller refuses texts longer than MAX_QUERY_CHARS before this.
    """
    terms: list[str] = []
    for match in _WORD.finditer(text.lower()):
        term = match.group(0)[:MAX_TERM_CHARS]
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return SearchTerms(tuple(terms))
