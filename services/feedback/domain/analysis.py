"""What a campaign's votes and answers say, computed without I/O.

Statements and votes follow the Pol.is idea: a participants x statements matrix (agree = 1,
disagree = -1, pass = 0, not voted = missing) is reduced with PCA and clustered with k-means
into opinion groups; consensus statements are those every group agrees (or disagrees) with,
divisive statements those that split the participants or the groups.

Privacy rule, everywhere: nothing describing fewer than `k` people is reported. Opinion groups
smaller than k are never formed (a clustering producing one is discarded, never padded), and
breakdown tables use primary suppression (cells under k) plus complementary suppression (more
cells hidden until the hidden cells together hold 0 or at least k people), so no hidden cell can
be recovered by subtracting the shown cells from a published total.
"""

from __future__ import annotations

import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

from services.feedback.domain.model import K_ANONYMITY, Question, QuestionKind

AGREE, DISAGREE, PASS = 1, -1, 0
#: A statement is consensus when every group's (smoothed) agree, or disagree, rate reaches this.
CONSENSUS_RATE = 0.6
#: Without groups there is no "across groups" to check, so one crowd must agree more clearly.
CONSENSUS_RATE_WITHOUT_GROUPS = 0.75
#: Divisive: the groups' agree rates differ by at least this much ...
DIVISIVE_SPREAD = 0.5
#: ... or, among those who took a side, the smaller side is at least this share.
DIVISIVE_BALANCE = 0.3
#: Participants who voted on fewer statements than this are not placed in a group.
MIN_VOTES_TO_PLACE = 3
MAX_GROUPS = 5
NOT_KNOWN = "Not known"


@dataclass(frozen=True)
class VoteMatrix:
    """Votes as a participants x statements array: 1, -1, 0, or NaN where no vote was cast."""

    participants: tuple[str, ...]
    statements: tuple[str, ...]
    values: np.ndarray

    @classmethod
    def build(cls, statements: Sequence[str], votes: Iterable[tuple[str, str, int]]) -> VoteMatrix:
        """From (participant, statement, value) triples; votes on unlisted statements are ignored.

        Participants are ordered by id, so the same votes always give the same matrix.
        """
        column = {s: i for i, s in enumerate(statements)}
        kept = [(p, column[s], v) for p, s, v in votes if s in column]
        participants = tuple(sorted({p for p, _, _ in kept}))
        row = {p: i for i, p in enumerate(participants)}
        values = np.full((len(participants), len(statements)), np.nan)
        if kept:
            rows = np.fromiter((row[p] for p, _, _ in kept), dtype=np.int64, count=len(kept))
            cols = np.fromiter((c for _, c, _ in kept), dtype=np.int64, count=len(kept))
            vals = np.fromiter((v for _, _, v in kept), dtype=np.float64, count=len(kept))
            values[rows, cols] = vals
        return cls(participants, tuple(statements), values)


@dataclass(frozen=True)
class StatementStats:
    statement_id: str
    votes: int
    agree: int
    disagree: int
    passes: int

    @property
    def agree_rate(self) -> float:
        return self.agree / self.votes if self.votes else 0.0

    @property
    def disagree_rate(self) -> float:
        return self.disagree / self.votes if self.votes else 0.0


@dataclass(frozen=True)
class Distinctive:
    """A statement that sets a group apart: the group leans `direction` far more than others."""

    statement_id: str
    direction: str  # "agree" | "disagree"
    group_rate: float
    others_rate: float


@dataclass(frozen=True)
class OpinionGroup:
    label: str
    members: tuple[str, ...]
    distinctive: tuple[Distinctive, ...] = ()

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class StatementFinding:
    statement_id: str
    direction: str  # consensus: "agree" | "disagree"; divisive: "split"
    score: float


@dataclass(frozen=True)
class VoteAnalysis:
    participants: int
    stats: dict[str, StatementStats]
    groups: tuple[OpinionGroup, ...]
    consensus: tuple[StatementFinding, ...]
    divisive: tuple[StatementFinding, ...]

    def group_of(self, participant: str) -> OpinionGroup | None:
        for group in self.groups:
            if participant in group.members:
                return group
        return None


def _smoothed(hits: np.ndarray, total: np.ndarray) -> np.ndarray:
    # Laplace smoothing: a group of five who all agree is less certain than fifty who do.
    return (hits + 1.0) / (total + 2.0)


def analyse_votes(
    matrix: VoteMatrix, *, k: int = K_ANONYMITY, max_groups: int = MAX_GROUPS, seed: int = 0
) -> VoteAnalysis:
    """Statement statistics, opinion groups, consensus and divisive statements.

    Deterministic for a given matrix (fixed seeds). Statements with fewer than `k` votes are
    neither consensus nor divisive; groups have at least `k` members or are not formed.
    """
    values = matrix.values
    voted = ~np.isnan(values)
    agree = (values == AGREE).sum(axis=0)
    disagree = (values == DISAGREE).sum(axis=0)
    passes = (values == PASS).sum(axis=0)
    counts = voted.sum(axis=0)
    stats = {
        sid: StatementStats(sid, int(counts[j]), int(agree[j]), int(disagree[j]), int(passes[j]))
        for j, sid in enumerate(matrix.statements)
    }
    labels = _cluster(matrix, k=k, max_groups=max_groups, seed=seed)
    groups = _groups(matrix, labels, k=k)
    group_masks = [labels == g for g in range(int(labels.max()) + 1)] if len(groups) > 1 else []
    consensus, divisive = [], []
    for j, sid in enumerate(matrix.statements):
        if counts[j] < k:
            continue
        column = values[:, j]
        if group_masks:
            g_votes = np.array([(~np.isnan(column[m])).sum() for m in group_masks], dtype=float)
            g_agree = np.array([(column[m] == AGREE).sum() for m in group_masks], dtype=float)
            g_dis = np.array([(column[m] == DISAGREE).sum() for m in group_masks], dtype=float)
            agree_rates, disagree_rates = _smoothed(g_agree, g_votes), _smoothed(g_dis, g_votes)
            every_group_voted = bool((g_votes > 0).all())
            spread = float(agree_rates.max() - agree_rates.min())
        else:
            agree_rates = _smoothed(np.array([agree[j]]), np.array([counts[j]]))
            disagree_rates = _smoothed(np.array([disagree[j]]), np.array([counts[j]]))
            every_group_voted, spread = True, 0.0
        threshold = CONSENSUS_RATE if group_masks else CONSENSUS_RATE_WITHOUT_GROUPS
        if every_group_voted and agree_rates.min() >= threshold:
            consensus.append(StatementFinding(sid, "agree", float(agree_rates.min())))
            continue
        if every_group_voted and disagree_rates.min() >= threshold:
            consensus.append(StatementFinding(sid, "disagree", float(disagree_rates.min())))
            continue
        sides = agree[j] + disagree[j]
        balance = float(min(agree[j], disagree[j]) / sides) if sides else 0.0
        if spread >= DIVISIVE_SPREAD or balance >= DIVISIVE_BALANCE:
            divisive.append(StatementFinding(sid, "split", round(max(spread, 2 * balance), 6)))
    consensus.sort(key=lambda f: (-f.score, f.statement_id))
    divisive.sort(key=lambda f: (-f.score, f.statement_id))
    return VoteAnalysis(
        participants=len(matrix.participants),
        stats=stats,
        groups=groups,
        consensus=tuple(consensus),
        divisive=tuple(divisive),
    )


def _cluster(matrix: VoteMatrix, *, k: int, max_groups: int, seed: int) -> np.ndarray:
    """A group number per participant, or -1 for unplaced; all -1 when no grouping qualifies.

    Tries 2..max_groups clusters of the PCA projection and keeps the best silhouette among the
    clusterings whose every group has at least k members.
    """
    values = matrix.values
    labels = np.full(len(matrix.participants), -1, dtype=np.int64)
    n_statements = len(matrix.statements)
    if n_statements < 2:
        return labels
    voted = (~np.isnan(values)).sum(axis=1)
    placed = np.flatnonzero(voted >= min(MIN_VOTES_TO_PLACE, n_statements))
    if len(placed) < 2 * k:
        return labels
    data = np.nan_to_num(values[placed], nan=0.0)
    data = data - data.mean(axis=0)
    if np.allclose(data, 0.0):
        return labels
    coords = PCA(n_components=2, svd_solver="full").fit_transform(data)
    distinct = len(np.unique(np.round(coords, 9), axis=0))
    best: tuple[float, np.ndarray] | None = None
    for n_clusters in range(2, max_groups + 1):
        if n_clusters * k > len(placed) or n_clusters > distinct:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = KMeans(n_clusters=n_clusters, n_init=4, random_state=seed).fit_predict(coords)
        sizes = np.bincount(found, minlength=n_clusters)
        if sizes.min() < k:
            continue  # never form (or pad) a group smaller than k
        score = float(
            silhouette_score(coords, found, sample_size=min(len(placed), 1500), random_state=seed)
        )
        if best is None or score > best[0] + 1e-9:
            best = (score, found)
    if best is None:
        return labels
    labels[placed] = best[1]
    return labels


def _groups(matrix: VoteMatrix, labels: np.ndarray, *, k: int) -> tuple[OpinionGroup, ...]:
    if labels.size == 0 or labels.max() < 0:
        return ()
    # Stable labels: the largest group is A; ties go to the group with the earliest member.
    numbers = sorted(
        {int(x) for x in labels if x >= 0},
        key=lambda g: (-int((labels == g).sum()), int(np.flatnonzero(labels == g)[0])),
    )
    remap = {old: new for new, old in enumerate(numbers)}
    labels[labels >= 0] = [remap[int(x)] for x in labels[labels >= 0]]
    values = matrix.values
    placed = labels >= 0
    groups = []
    for number in range(len(numbers)):
        mine = labels == number
        others = placed & ~mine
        distinctive = _distinctive(matrix, values[mine], values[others], k=k)
        members = tuple(p for p, m in zip(matrix.participants, mine, strict=True) if m)
        groups.append(OpinionGroup(chr(ord("A") + number), members, distinctive))
    return tuple(groups)


def _distinctive(
    matrix: VoteMatrix, mine: np.ndarray, others: np.ndarray, *, k: int, limit: int = 3
) -> tuple[Distinctive, ...]:
    """Statements on which this group leans a way much more than everyone else (Pol.is
    'representativeness'), using only statements at least k of the group voted on."""
    found: list[tuple[float, Distinctive]] = []
    for j, sid in enumerate(matrix.statements):
        g, o = mine[:, j], others[:, j]
        g_n, o_n = float((~np.isnan(g)).sum()), float((~np.isnan(o)).sum())
        if g_n < k:
            continue
        for direction, value in (("agree", AGREE), ("disagree", DISAGREE)):
            g_rate = (float((g == value).sum()) + 1) / (g_n + 2)
            o_rate = (float((o == value).sum()) + 1) / (o_n + 2)
            if g_rate >= 0.5 and g_rate > o_rate:
                found.append(
                    (
                        (g_rate / o_rate) * g_rate,
                        Distinctive(sid, direction, round(g_rate, 4), round(o_rate, 4)),
                    )
                )
    found.sort(key=lambda item: (-item[0], item[1].statement_id))
    return tuple(d for _, d in found[:limit])


# -- breakdowns under k-anonymity ------------------------------------------------------------


def suppress(counts: Mapping[str, int], k: int = K_ANONYMITY) -> frozenset[str]:
    """The cells to hide so that no cell under k is shown or can be derived from the total.

    Primary: every non-empty cell under k. Complementary: while the hidden cells together hold
    fewer than k people (so `total - shown` would expose them), also hide the smallest shown cell.
    The result: every shown cell has at least k people, and the hidden ones together hold none
    or at least k (so no single hidden cell can be recovered by subtraction).
    """
    hidden = {label for label, n in counts.items() if 0 < n < k}
    while hidden and sum(counts[h] for h in hidden) < k:
        shown = sorted((n, label) for label, n in counts.items() if n > 0 and label not in hidden)
        if not shown:
            break
        hidden.add(shown[0][1])
    return frozenset(hidden)


@dataclass(frozen=True)
class Respondent:
    """One participant, by pseudonym: who they are in aggregate terms, and what they answered."""

    id: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BreakdownCell:
    value: str
    respondents: int
    mean: float | None = None
    shares: dict[str, float] | None = None


@dataclass(frozen=True)
class Breakdown:
    """One table: respondents (question_id None) or one question's answers, by one dimension."""

    dimension: str
    question_id: str | None
    cells: tuple[BreakdownCell, ...]
    #: Whether some cells were withheld (never which, nor how many people they hold).
    withheld: bool


def breakdowns(
    respondents: Sequence[Respondent],
    questions: Sequence[Question],
    dimensions: Sequence[str],
    *,
    k: int = K_ANONYMITY,
) -> list[Breakdown]:
    """Per dimension: respondents per value, then each structured question's answers per value.

    A dimension nobody has a value for is left out (it would say nothing). Cells are ordered
    by size, largest first, then by name.
    """
    tables: list[Breakdown] = []
    structured = [q for q in questions if q.kind != QuestionKind.FREE_TEXT]
    for dimension in dimensions:
        values = [r.attributes.get(dimension) or NOT_KNOWN for r in respondents]
        if all(v == NOT_KNOWN for v in values):
            continue
        people: dict[str, list[Respondent]] = defaultdict(list)
        for value, respondent in zip(values, respondents, strict=True):
            people[value].append(respondent)
        tables.append(_table(dimension, None, {v: [None] * len(rs) for v, rs in people.items()}, k))
        for question in structured:
            answers = {
                v: [r.answers[question.id] for r in rs if question.id in r.answers]
                for v, rs in people.items()
            }
            tables.append(_table(dimension, question, answers, k))
    return tables


def _table(
    dimension: str, question: Question | None, answers: Mapping[str, list[Any]], k: int
) -> Breakdown:
    counts = {value: len(items) for value, items in answers.items()}
    hidden = suppress(counts, k)
    cells = [
        _cell(value, items, question)
        for value, items in answers.items()
        if items and value not in hidden
    ]
    cells.sort(key=lambda c: (-c.respondents, c.value))
    return Breakdown(dimension, question.id if question else None, tuple(cells), bool(hidden))


def _cell(value: str, items: list[Any], question: Question | None) -> BreakdownCell:
    if question is None:
        return BreakdownCell(value, len(items))
    if question.kind == QuestionKind.RATING:
        return BreakdownCell(value, len(items), mean=round(sum(items) / len(items), 2))
    chosen: Counter[str] = Counter()
    for item in items:
        chosen.update([item] if isinstance(item, str) else item)
    shares = {option: round(chosen[option] / len(items), 4) for option in question.options}
    return BreakdownCell(value, len(items), shares=shares)


@dataclass(frozen=True)
class QuestionSummary:
    """One question's answers across everyone; `answered` under k means nothing else is shown."""

    question_id: str
    answered: int
    withheld: bool
    mean: float | None = None
    distribution: dict[str, int] | None = None


def summarise_questions(
    respondents: Sequence[Respondent], questions: Sequence[Question], *, k: int = K_ANONYMITY
) -> list[QuestionSummary]:
    summaries = []
    for question in questions:
        items = [r.answers[question.id] for r in respondents if question.id in r.answers]
        if len(items) < k:
            summaries.append(QuestionSummary(question.id, len(items), withheld=True))
            continue
        if question.kind == QuestionKind.RATING:
            distribution = {
                str(n): sum(1 for i in items if i == n)
                for n in range(question.scale_min, question.scale_max + 1)
            }
            summaries.append(
                QuestionSummary(
                    question.id,
                    len(items),
                    withheld=False,
                    mean=round(sum(items) / len(items), 2),
                    distribution=distribution,
                )
            )
        elif question.kind == QuestionKind.FREE_TEXT:
            summaries.append(QuestionSummary(question.id, len(items), withheld=False))
        else:
            chosen: Counter[str] = Counter()
            for item in items:
                chosen.update([item] if isinstance(item, str) else item)
            summaries.append(
                QuestionSummary(
                    question.id,
                    len(items),
                    withheld=False,
                    distribution={o: chosen[o] for o in question.options},
                )
            )
    return summaries
