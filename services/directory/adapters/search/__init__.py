"""Profile search: the index (what it holds), typo tolerance, relevance, facets.

Privacy by construction: the index holds only what every member may see (names, job title,
organisation, expertise, sector, region, and the bio only while it is `members`-visible), so no
query, snippet, sort or count can reveal a narrower field. Contact fields are never indexed.

Cost is bounded: at most MAX_TERMS terms, at most `candidate_cap` matches ranked (the first in
index order; `capped` says when there were more), a statement timeout on every search.

- `index`: the index entry of a profile and the vocabulary of indexed words (the write side).
- `words`: what each typed term may match (completions, look-alikes) and the text query.
- `filters`: facet filters and the keyset cursor bound to its search.
- `results`: what an answer holds (plain values, kept in memory by `cache`).
- `answer`: one page of results (the statement) and its facet counts (`facets`).
- `cache`: answers kept per search generation.
"""
