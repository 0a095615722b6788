"""Search answers kept in memory, each valid for one generation of the directory's data.

The database advances `search_generation` in every transaction that commits a change search
reads from (a trigger, migration 0005), so this needs no messages between replicas and no
expiry: a search reads the generation in the statement it makes anyway (with the viewer's
relations), and an answer computed at an older generation is never served.

Why an answer is never staler than the generation it is filed under: the generation is read
before the answer's own statements, so those see every change up to it (and perhaps later
ones, which only makes the answer fresher). A writer's next search reads the generation its
commit made, so everyone reads their own writes, on any replica.

Answers are the same for every viewer (privacy is applied to each card afterwards), so one
member's search warms it for all. Each answer also keeps its cards as JSON, one per kind of
viewer a card has been shown to (views.search_results_json): a card's JSON depends only on
the viewer's relations to that one member, so the next viewer with the same relations is
sent the same bytes rather than a fresh projection. Most searchers are related to nobody on
the page they get (not themselves, a connection, a cohort-mate or someone they are delegate
for): to them the whole body is the same, and is kept whole (`RememberedAnswer.to_anyone`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from services.directory.adapters.search.results import SearchOutcome, SearchRequest
from services.directory.domain.model import Relation, Viewer, stale_from

#: Which card, seen by which relations, stale or not: everything a card's JSON depends on
#: once its answer and the tag labels are fixed.
CardKey = tuple[int, frozenset[Relation], bool]


@dataclass(eq=False)
class RememberedAnswer:
    outcome: SearchOutcome
    #: The answer serialised without its cards, made on first use.
    envelope: bytes | None = None
    cards: dict[CardKey, bytes] = field(default_factory=dict)
    #: The tag labels the cards were made with: new labels mean new cards.
    labels: dict[str, str] | None = None
    #: The whole body as a member related to nobody on the page sees it, and the moment it
    #: stops holding (a card turns stale); made on first use.
    to_anyone: tuple[bytes, datetime | None] | None = None
    members: frozenset[str] = field(init=False)
    cohorts: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        profiles = [hit.profile for hit in self.outcome.hits]
        self.members = frozenset(str(p.member_id) for p in profiles)
        self.cohorts = frozenset().union(*(p.cohort_ids for p in profiles))

    def related_to_nobody(self, viewer: Viewer) -> bool:
        """A member who is nobody on this page: not themselves, a connection, a cohort-mate or
        anyone they are delegate for (so every card shows them members-level fields only)."""
        return (
            viewer.member_id is not None
            and viewer.member_id not in self.members
            and self.members.isdisjoint(viewer.connections)
            and self.members.isdisjoint(viewer.principals)
            and self.cohorts.isdisjoint(viewer.cohorts)
        )

    def turns_stale_at(self, now: datetime) -> datetime | None:
        """When the first card that is not stale at `now` will be (None: never)."""
        moments = [
            moment
            for hit in self.outcome.hits
            if (moment := stale_from(hit.profile.confirmed_at)) is not None and moment >= now
        ]
        return min(moments, default=None)


class SearchCache:
    """The most recently used `capacity` answers of the newest generation seen (0: off)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._generation = 0
        self._answers: OrderedDict[SearchRequest, RememberedAnswer] = OrderedDict()

    def get(self, generation: int, request: SearchRequest) -> RememberedAnswer | None:
        if generation > self._generation:
            # Everything held is from an older generation: none of it may be served again.
            self._answers.clear()
            self._generation = generation
        found = self._answers.get(request) if generation == self._generation else None
        if found is not None:
            self._answers.move_to_end(request)
        return found

    def put(
        self, generation: int, request: SearchRequest, outcome: SearchOutcome
    ) -> RememberedAnswer:
        """The answer, remembered unless it is off or was worked out at an older generation."""
        remembered = RememberedAnswer(outcome)
        # A request that read an older generation while another moved the cache on must not
        # file its answer under the newer one.
        if self.capacity == 0 or generation != self._generation:
            return remembered
        self._answers[request] = remembered
        self._answers.move_to_end(request)
        while len(self._answers) > self.capacity:
            self._answers.popitem(last=False)
        return remembered

    def __len__(self) -> int:
        return len(self._answers)
