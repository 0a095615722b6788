"""What a campaign's votes say, computed without I/O.

Statements and votes follow the Pol.is idea: a participants x statements matrix (agree = 1,
disagree = -1, pass = 0, not voted = missing) is reduced with PCA and clustered with k-means
into opinion groups; consensus statements are those every group agrees (or disagrees) with,
divisive statements those that split the participants or the groups.

Privacy rule: nothing describing fewer than `k` people is reported. Opinion groups smaller
than k are never formed (a clustering producing one is discarded, never padded).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score

from services.feedback.domain.model import K_ANONYMITY

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
