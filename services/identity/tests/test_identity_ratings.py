"""The "Valuta questo servizio" ratings: anyone leaves one, only admins read them, page by page."""

from __future__ import annotations

import uuid


async def test_anyone_rates_and_an_admin_reads_newest_first(identity) -> None:  # noqa: ANN001
    marker = uuid.uuid4().hex[:8]
    first = await identity.client.post(
        identity.url("/ratings"), json={"stars": 2, "comment": f"  lento {marker} ", "page": "/login"}
    )
    second = await identity.client.post(identity.url("/ratings"), json={"stars": 5, "comment": "   "})
    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert first.json()["comment"] == f"lento {marker}"
    assert second.json()["comment"] is None

    _, tokens = await identity.staff("admin")
    listed = await identity.client.get(
        identity.url("/admin/ratings"),
        params={"limit": 2},
        headers=identity.bearer(tokens["access_token"]),
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["limit"] == 2 and body["total"] >= 2
    assert [item["rating_id"] for item in body["items"]] == [
        second.json()["rating_id"],
        first.json()["rating_id"],
    ]
    assert body["items"][1] | {"created_at": None} == {
        "rating_id": first.json()["rating_id"],
        "stars": 2,
        "comment": f"lento {marker}",
        "page": "/login",
        "created_at": None,
    }


async def test_stars_outside_one_to_five_are_refused_in_italian(identity) -> None:  # noqa: ANN001
    for stars in (0, 6, "tante"):
        response = await identity.client.post(identity.url("/ratings"), json={"stars": stars})
        assert response.status_code == 422
        assert response.headers["content-type"].startswith("application/problem+json")
    too_long = await identity.client.post(identity.url("/ratings"), json={"stars": 3, "comment": "x" * 1001})
    assert too_long.status_code == 422


async def test_citizens_and_operators_cannot_read_ratings(identity) -> None:  # noqa: ANN001
    _, citizen = await identity.citizen()
    _, operator = await identity.staff("operator")
    anonymous = await identity.client.get(identity.url("/admin/ratings"))
    assert anonymous.status_code == 401
    for tokens in (citizen, operator):
        response = await identity.client.get(
            identity.url("/admin/ratings"), headers=identity.bearer(tokens["access_token"])
        )
        assert response.status_code == 403
