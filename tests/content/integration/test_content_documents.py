"""Resource documents: upload limits and types, download by members who may see the item."""

from __future__ import annotations

from content_support import publish


def resource() -> dict[str, object]:
    return {"kind": "resource", "title": "Spending review guide", "document_type": "pdf"}


async def test_upload_and_download_a_document(client, people) -> None:
    curator = await people.curator()
    item = await publish(client, people, resource())
    pdf = b"%PDF-1.7\n" + b"x" * 2000
    response = await client.put(
        f"/items/{item['id']}/document",
        params={"filename": "guide.pdf"},
        content=pdf,
        headers={**curator, "content-type": "application/pdf"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["document_size_bytes"] == len(pdf)
    assert response.json()["version"] == 2
    _, member = await people.member()
    download = await client.get(f"/items/{item['id']}/document", headers=member)
    assert download.status_code == 200
    assert download.content == pdf
    assert download.headers["content-disposition"] == 'attachment; filename="guide.pdf"'


async def test_oversized_and_unsupported_uploads_are_refused(client, people) -> None:
    curator = await people.curator()
    created = await client.post("/items", json=resource(), headers=curator)
    item_id = created.json()["id"]
    too_big = await client.put(
        f"/items/{item_id}/document",
        content=b"x" * 950_000,
        headers={**curator, "content-type": "application/pdf"},
    )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    past_gateway = await client.put(
        f"/items/{item_id}/document",
        content=b"x" * 1_100_000,
        headers={**curator, "content-type": "application/pdf"},
    )
    assert past_gateway.status_code == 413
    exe = await client.put(
        f"/items/{item_id}/document",
        content=b"MZ...",
        headers={**curator, "content-type": "application/x-msdownload"},
    )
    assert exe.status_code == 415
    empty = await client.put(
        f"/items/{item_id}/document", content=b"", headers={**curator, "content-type": "text/csv"}
    )
    assert empty.status_code == 422
    article = await client.post(
        "/items", json={"kind": "article", "title": "Not a resource"}, headers=curator
    )
    wrong_kind = await client.put(
        f"/items/{article.json()['id']}/document",
        content=b"a,b\n",
        headers={**curator, "content-type": "text/csv"},
    )
    assert wrong_kind.status_code == 422
    _, member = await people.member()
    upload = await client.put(
        f"/items/{item_id}/document",
        content=b"a,b\n",
        headers={**member, "content-type": "text/csv"},
    )
    assert upload.status_code == 403


async def test_malformed_requests_are_problems(client, people) -> None:
    curator = await people.curator()
    broken = await client.post(
        "/items", content=b"{not json", headers={**curator, "content-type": "application/json"}
    )
    assert broken.status_code == 422
    assert broken.headers["content-type"] == "application/problem+json"
    assert (await client.get("/feed")).status_code == 401
    assert (
        await client.get("/feed", params={"cursor": "nonsense"}, headers=curator)
    ).status_code in (400, 403)
    _, member = await people.member()
    assert (
        await client.get("/feed", params={"cursor": "nonsense"}, headers=member)
    ).status_code == 400
    assert (await client.get("/feed", params={"limit": 0}, headers=member)).status_code == 422
