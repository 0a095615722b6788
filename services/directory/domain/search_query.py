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
