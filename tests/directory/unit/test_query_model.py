"""query_model: a route's query string as one model, answered and documented like FastAPI's own."""

from __future__ import annotations

from typing import Annotated, Literal

import httpx
from fastapi import Depends, FastAPI
from pydantic import BaseModel, Field

from services.chassis.problems import install_problem_handlers
from services.directory.entrypoints.api.query_model import query_model


class Listing(BaseModel):
    q: str = Field("", max_length=5, description="Words.")
    tag: list[str] = []
    sort: Literal["new", "old"] = "new"
    limit: int = Field(10, ge=1, le=50)


read_listing, listing_docs = query_model(Listing)
app = FastAPI()
install_problem_handlers(app)


@app.get("/items", openapi_extra=listing_docs)
async def items(query: Annotated[Listing, Depends(read_listing)]) -> dict[str, object]:
    return query.model_dump()


async def get(query: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(f"/items?{query}")


async def test_lists_take_repeats_others_the_last_value_and_unknown_names_are_ignored() -> None:
    response = await get("tag=a&tag=b&q=one&q=two&colour=red")
    assert response.status_code == 200
    assert response.json() == {"q": "two", "tag": ["a", "b"], "sort": "new", "limit": 10}


async def test_a_bad_value_is_a_422_problem_naming_the_parameter() -> None:
    response = await get("limit=many&sort=sideways")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"].endswith("/problems/invalid-request")
    assert sorted(error["location"] for error in body["errors"]) == [
        ["query", "limit"],
        ["query", "sort"],
    ]


async def test_the_parameters_are_documented_in_openapi() -> None:
    parameters = app.openapi()["paths"]["/items"]["get"]["parameters"]
    by_name = {p["name"]: p for p in parameters}
    assert list(by_name) == ["q", "tag", "sort", "limit"]
    assert all(p["in"] == "query" and not p["required"] for p in parameters)
    assert by_name["q"]["description"] == "Words."
    assert by_name["q"]["schema"]["maxLength"] == 5
    assert by_name["tag"]["schema"]["type"] == "array"
    assert by_name["sort"]["schema"]["enum"] == ["new", "old"]
    assert by_name["limit"]["schema"]["maximum"] == 50
