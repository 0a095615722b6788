"""Search: typo tolerance, relevance, facets under filters, stable pages, bad input."""

from __future__ import annotations

import uuid

import httpx
import pytest
from directory_support import admin_headers, draft_member, listed_member
from support import eventually

SEARCH = "/api/directory/profiles"


@pytest.fixture
async def client(stack):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=15) as client:
        yield client


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["member_id"] for c in response.json()["items"]]


async def _organisation(client, headers, name: str) -> str:  # type: ignore[no-untyped-def]
    found = await client.get("/api/directory/organisations", params={"q": name}, headers=headers)
    return next(o["id"] for o in found.json()["items"] if o["name"] == name)


async def test_a_typo_still_finds_chelmsford(client, stack) -> None:
    viewer = await draft_member(client, stack, "Tess Searcher")
    council = await _organisation(client, viewer.headers, "Chelmsford City Council")
    leader = await listed_member(
        client,
        stack,
        "Bernadette Okonjo",
        organisation_id=council,
        job_title="Chief Executive",
        sector="local_government",
        region="east_of_england",
    )
    for query in ("Chelmsford", "Chelmsfrod", "chelmsforrd council", "okonjo chelmsfrod"):
        found = await client.get(SEARCH, params={"q": query}, headers=viewer.headers)
        assert leader.member_id in ids(found), query
    nothing = await client.get(SEARCH, params={"q": "Chelmsfrod xylophone"}, headers=viewer.headers)
    assert leader.member_id not in ids(nothing)


async def test_the_start_of_a_word_finds_it_as_soon_as_it_is_published(client, stack) -> None:
    word = f"Quillfeather{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Pia Prefixer")
    leader = await listed_member(client, stack, f"Oona {word}", job_title="Chief Economist")
    for query in (word[:8], word, f"{word[:9]} econ", f"chief {word[:10]}"):
        found = await client.get(SEARCH, params={"q": query}, headers=viewer.headers)
        assert leader.member_id in ids(found), query
    other = await client.get(SEARCH, params={"q": f"{word[:8]} xylophone"}, headers=viewer.headers)
    assert leader.member_id not in ids(other)


async def test_name_matches_rank_above_bio_mentions(client, stack) -> None:
    word = f"Farquharson{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Rae Ranker")
    mention = await listed_member(
        client, stack, "Lena Mentions", bio=f"Worked for years alongside {word} on rail reform."
    )
    named = await listed_member(client, stack, f"Douglas {word}")
    found = await client.get(SEARCH, params={"q": word}, headers=viewer.headers)
    assert ids(found) == [named.member_id, mention.member_id]
    cards = found.json()["items"]
    assert cards[0]["snippet"] is None
    assert f"<mark>{word.lower()}</mark>" in cards[1]["snippet"].lower()


async def test_facet_counts_follow_the_filters(client, stack) -> None:
    mark = f"facetmark{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Fay Cetter")
    people = [
        ("nhs_health", "london", ["health-and-care"]),
        ("nhs_health", "london", ["health-and-care", "data-and-ai"]),
        ("nhs_health", "wales", ["data-and-ai"]),
        ("police_justice", "london", ["policing"]),
        ("local_government", "north_west", ["housing"]),
    ]
    for n, (sector, region, tags) in enumerate(people):
        await listed_member(
            client,
            stack,
            f"Person{n} Counted",
            job_title=f"Director {mark}",
            sector=sector,
            region=region,
            expertise=tags,
        )
    facets = "sector,region,expertise"
    everything = await client.get(
        SEARCH, params={"q": mark, "facets": facets}, headers=viewer.headers
    )
    body = everything.json()
    assert len(body["items"]) == 5
    counts = {f: {v["value"]: v["count"] for v in body["facets"][f]} for f in body["facets"]}
    assert counts["sector"] == {"nhs_health": 3, "police_justice": 1, "local_government": 1}
    assert counts["region"] == {"london": 3, "wales": 1, "north_west": 1}
    assert counts["expertise"] == {
        "health-and-care": 2,
        "data-and-ai": 2,
        "policing": 1,
        "housing": 1,
    }

    nhs = await client.get(
        SEARCH,
        params={"q": mark, "facets": facets, "sector": "nhs_health"},
        headers=viewer.headers,
    )
    body = nhs.json()
    assert len(body["items"]) == 3
    counts = {f: {v["value"]: v["count"] for v in body["facets"][f]} for f in body["facets"]}
    # Other facets count within the filter; the filtered facet still shows its alternatives.
    assert counts["region"] == {"london": 2, "wales": 1}
    assert counts["expertise"] == {"health-and-care": 2, "data-and-ai": 2}
    assert counts["sector"] == {"nhs_health": 3, "police_justice": 1, "local_government": 1}

    both = await client.get(
        SEARCH,
        params={"q": mark, "sector": "nhs_health,police_justice", "region": "london"},
        headers=viewer.headers,
    )
    assert len(ids(both)) == 3
    tagged = await client.get(
        SEARCH, params={"q": mark, "expertise": "data-and-ai"}, headers=viewer.headers
    )
    assert len(ids(tagged)) == 2


async def test_pages_are_stable_while_profiles_are_added(client, stack) -> None:
    mark = f"pagemark{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Paige Turner")
    originals = [
        (await listed_member(client, stack, f"Member{n} Paged", job_title=f"Head of {mark}"))
        for n in range(7)
    ]
    for sort in ("name", "relevance"):
        seen: list[str] = []
        params = {"q": mark, "limit": 3, "sort": sort}
        first = await client.get(SEARCH, params=params, headers=viewer.headers)
        seen += ids(first)
        cursor = first.json()["next_cursor"]
        # Newcomers sort first by name and rank the same: they must not shift later pages.
        await listed_member(client, stack, f"Aardvark{sort} Newcomer", job_title=f"Head of {mark}")
        while cursor:
            page = await client.get(
                SEARCH, params=params | {"cursor": cursor}, headers=viewer.headers
            )
            seen += ids(page)
            cursor = page.json()["next_cursor"]
        assert len(seen) == len(set(seen)), sort
        assert {m.member_id for m in originals} <= set(seen), sort


async def test_drafts_and_deactivated_members_are_not_listed(client, stack) -> None:
    mark = f"listmark{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Lister Viewer")
    draft = await draft_member(client, stack, f"Drafty {mark}")
    leaving = await listed_member(client, stack, f"Leaving {mark}")
    assert ids(await client.get(SEARCH, params={"q": mark}, headers=viewer.headers)) == [
        leaving.member_id
    ]
    assert draft.member_id not in ids(
        await client.get(SEARCH, params={"q": mark}, headers=viewer.headers)
    )
    admin = await admin_headers(stack)
    gone = await client.post(f"/api/identity/members/{leaving.member_id}/deactivate", headers=admin)
    assert gone.status_code == 200, gone.text

    async def unlisted() -> bool:
        found = await client.get(SEARCH, params={"q": mark}, headers=viewer.headers)
        return ids(found) == []

    await eventually(unlisted)
    assert (await client.get(leaving.path, headers=viewer.headers)).status_code == 404


@pytest.mark.parametrize(
    ("params", "status", "title"),
    [
        ({"q": "x" * 201}, 422, "Invalid request"),
        ({"facets": "sector,shoe_size"}, 422, "Unknown facet"),
        ({"sector": "space_force"}, 422, "Invalid request"),
        ({"organisation": "not-a-uuid"}, 422, "Invalid request"),
        ({"limit": 1000}, 422, "Invalid request"),
        ({"cursor": "%%%not-base64"}, 400, "Bad cursor"),
        ({"cursor": "WyJhIiwgIm5vdC1hLXV1aWQiLCAiZiJd"}, 400, "Bad cursor"),
        ({"sort": "salary"}, 422, "Invalid request"),
        ({"region": ",".join(["london"] * 21)}, 422, "Too many filters"),
        ({"expertise": "Not A Tag"}, 422, "Invalid request"),
    ],
)
async def test_bad_search_input_is_a_client_error(client, stack, params, status, title) -> None:
    viewer = await draft_member(client, stack, "Bad Input")
    response = await client.get(SEARCH, params=params, headers=viewer.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == title


async def test_a_cursor_only_continues_its_own_search(client, stack) -> None:
    mark = f"cursormark{uuid.uuid4().hex[:6]}"
    viewer = await draft_member(client, stack, "Kurt Sor")
    for n in range(3):
        await listed_member(client, stack, f"Cursor{n} Holder", job_title=f"Lead {mark}")
    first = await client.get(SEARCH, params={"q": mark, "limit": 1}, headers=viewer.headers)
    cursor = first.json()["next_cursor"]
    assert cursor
    other = await client.get(
        SEARCH, params={"q": "different", "cursor": cursor}, headers=viewer.headers
    )
    assert other.status_code == 400
    assert "different search" in other.json()["detail"]


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE profiles; --",
        "a & | ! <-> :* ( ) \\",
        "!!!",
        "nhs:* & !police",
        "\x00\x01 null bytes",
        "   ",
        "日本語 テスト",
        "a" * 200,
    ],
)
async def test_query_syntax_and_injection_are_harmless(client, stack, query) -> None:
    viewer = await draft_member(client, stack, "Robert Tables")
    response = await client.get(SEARCH, params={"q": query}, headers=viewer.headers)
    assert response.status_code == 200, response.text
    still_there = await client.get(SEARCH, params={"q": "Tables"}, headers=viewer.headers)
    assert still_there.status_code == 200


async def test_search_needs_a_signed_in_caller(client) -> None:
    assert (await client.get(SEARCH, params={"q": "anyone"})).status_code == 401
