""" "Find a leader": search with facet filters and keyset pages."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup, escape

from services.gateway.pages.directory.lookups import problem_code
from services.gateway.pages.directory.vocabularies import fetch_vocabularies, sector_region_labels
from services.gateway.upstream.page_calls import call_service
from services.gateway.web.session_cookies import SignedIn
from services.gateway.web.templates import environment, render

router = APIRouter(include_in_schema=False)
FACETS = ("sector", "region", "organisation", "cohort", "expertise")
FACET_LABELS = {
    "sector": "Sector",
    "region": "Region",
    "organisation": "Organisation",
    "cohort": "Cohort",
    "expertise": "Expertise",
}


def snippet_html(snippet: str | None) -> Markup:
    """The search snippet's `<mark>`s kept and everything else escaped again, so the page never
    trusts markup from a service."""
    if not snippet:
        return Markup("")
    marks = {"<mark>": Markup("<mark>"), "</mark>": Markup("</mark>")}
    out = Markup("")
    for part in re.split(r"(</?mark>)", snippet):
        out += marks.get(part) or escape(html.unescape(part))
    return out


environment.filters["snippet_html"] = snippet_html


def _search_state(request: Request) -> dict[str, Any]:
    """The search as the page's address holds it (a GET form, so it works without JavaScript
    and can be bookmarked). `trail` is the cursors of the pages before this one, so "Previous"
    is a link too."""
    query = request.query_params
    return {
        "q": query.get("q", "")[:200],
        **{name: [v[:100] for v in query.getlist(name)][:20] for name in FACETS},
        "cursor": query.get("cursor", "")[:400],
        "trail": [v[:400] for v in query.getlist("trail")][:50],
    }


def _search_href(state: dict[str, Any], cursor: str, trail: list[str]) -> str:
    pairs: list[tuple[str, str]] = [("q", state["q"])] if state["q"] else []
    pairs += [(name, value) for name in FACETS for value in state[name]]
    pairs += [("trail", step) for step in trail]
    if cursor:
        pairs.append(("cursor", cursor))
    return "/directory" + ("?" + urlencode(pairs) if pairs else "")


@router.get("/directory")
async def find_a_leader(request: Request, session: SignedIn) -> Response:
    state = _search_state(request)
    params = {"facets": ",".join(FACETS), "limit": "20"}
    if state["q"]:
        params["q"] = state["q"]
    for name in FACETS:
        if state[name]:
            params[name] = ",".join(state[name])
    if state["cursor"]:
        params["cursor"] = state["cursor"]
    answer = await call_service(request, session, "directory", "GET", "/profiles", params=params)
    context: dict[str, Any] = {
        "state": state,
        "facet_labels": FACET_LABELS,
        "results": None,
        "labels": {},
    }
    status_code = 200
    if answer.status_code == 200:
        results = answer.json()
        context["results"] = results
        # The directory labels organisations, cohorts and tags in its facets; sectors and
        # regions are labelled by its vocabularies.
        labels = sector_region_labels(await fetch_vocabularies(request, session))
        context["facets"] = _facet_options(state, results.get("facets", {}), labels)
        context["labels"] = labels
        trail = state["trail"]
        if results.get("next_cursor"):
            context["next_href"] = _search_href(
                state, results["next_cursor"], [*trail, state["cursor"]]
            )
        if state["cursor"]:
            context["previous_href"] = _search_href(state, trail[-1] if trail else "", trail[:-1])
        context["first"] = len(trail) * 20 + 1 if state["cursor"] else 1
    else:
        status_code = 400
        context["search_error"] = (
            "This page of results is out of date. Start your search again."
            if problem_code(answer) == "bad-cursor"
            else "We could not use those filters. Start your search again."
        )
    return render(request, session, "directory/search.html", context, status_code=status_code)


def _facet_options(
    state: dict[str, Any], facets: dict[str, Any], labels: dict[str, str]
) -> dict[str, list[Any]]:
    """Checkbox items per facet, with counts; a chosen value stays listed even at zero."""
    options: dict[str, list[Any]] = {}
    for name in FACETS:
        chosen = set(state[name])
        items = []
        seen = set()
        for value in facets.get(name, []):
            seen.add(value["value"])
            items.append(
                {
                    "value": value["value"],
                    "text": f"{value.get('label') or labels.get(value['value'], value['value'])}"
                    f" ({value['count']})",
                    "checked": value["value"] in chosen,
                }
            )
        items += [
            {"value": v, "text": f"{labels.get(v, v)} (0)", "checked": True}
            for v in sorted(chosen - seen)
        ]
        if items:
            options[name] = items
    return options
