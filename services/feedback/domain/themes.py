"""Themes of free-text answers: the words and two-word phrases many respondents used.

Plain keyword and phrase extraction (no external AI service). A phrase counts once per
response, and only phrases used in at least k responses are reported, so a theme never
points at one person's words.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from services.feedback.domain.model import K_ANONYMITY

_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each even few for from further get got had hadn't has
    hasn't have haven't having he her here hers herself him himself his how i i'd i'm i've if
    in into is isn't it it's its itself just let's like make many may me more most much must
    mustn't my myself need no nor not now of off on once one only or other ought our ours
    ourselves out over own per really same shan't she should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they're this those
    through to too under until up upon us very was wasn't we we'd we're we've well were weren't
    what what's when where which while who whom why will with won't would wouldn't yet you your
    yours yourself yourselves think want wants lot lots thing things way ways
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Theme:
    phrase: str
    responses: int


def _tokens(text: str) -> list[str | None]:
    """Words in order, with None where a stopword breaks a phrase."""
    out: list[str | None] = []
    for word in _WORD.findall(text.lower().replace("\u2019", "'")):
        out.append(None if word in STOPWORDS or len(word) < 3 else word)
    return out


def themes(texts: Sequence[str], *, k: int = K_ANONYMITY, limit: int = 10) -> list[Theme]:
    """The most widely used phrases, each with the number of responses using it (>= k).

    A two-word phrase is preferred to its words when it covers as many responses; results are
    ordered by responses, then phrase length (longer first), then alphabetically.
    """
    frequency: Counter[str] = Counter()
    for text in texts:
        tokens = _tokens(text)
        phrases = {t for t in tokens if t}
        phrases |= {f"{a} {b}" for a, b in itertools.pairwise(tokens) if a and b}
        frequency.update(phrases)
    common = {p: n for p, n in frequency.items() if n >= k}
    covered = {
        word
        for phrase, n in common.items()
        if " " in phrase
        for word in phrase.split()
        if common.get(word) == n
    }
    ranked = sorted(
        ((p, n) for p, n in common.items() if p not in covered),
        key=lambda item: (-item[1], -item[0].count(" "), item[0]),
    )
    return [Theme(p, n) for p, n in ranked[:limit]]
