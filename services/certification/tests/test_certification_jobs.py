"""The expiry of approved certifications: once their last valid day has passed, each expires
once, with one CertificationExpired, whichever replica's scheduler runs the job."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta

from certification.domain.validity import local_date
from certification.jobs import EXPIRE_CERTIFICATIONS, build_jobs
from kit.clock import ROME, MovableClock
from kit.jobs import JobScheduler

EXPIRED = "certification.certification.expired.v1"


def rome_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ROME)


async def test_an_approved_certification_expires_once_after_its_last_day(fresh_service) -> None:  # noqa: ANN001
    clock = MovableClock()
    service = await fresh_service(clock=clock, run_jobs=False)
    rt = service.runtime
    citizen = service.citizen()
    request = await service.pending_request(citizen, "S2")
    approved = (await service.decide(request["id"], "approve", {})).json()
    valid_until = date.fromisoformat(approved["valid_until"])
    assert valid_until == date(local_date(clock.now()).year, 12, 31)
    rejected_one = await service.pending_request(service.citizen())
    await service.decide(rejected_one["id"], "reject", {"reason": "Documento scaduto."})
    schedulers = [JobScheduler(rt.db, build_jobs(rt), clock=clock) for _ in range(2)]

    async def run_both() -> int:
        ran = await asyncio.gather(*(s.run_due() for s in schedulers))
        return sum(names.count(EXPIRE_CERTIFICATIONS) for names in ran)

    # On its last day (late evening in Caserta) it is still valid.
    clock.advance(rome_midnight(valid_until) + timedelta(hours=23, minutes=30) - clock.now())
    assert await run_both() == 1
    assert await service.events(EXPIRED) == []

    # The day after, it has expired: one replica does it, once.
    clock.advance(timedelta(hours=1))
    assert await run_both() == 1
    [event] = await service.events(EXPIRED)
    assert event == {
        "certification_id": approved["certification_id"],
        "user_id": str(citizen.user_id),
        "sector_code": "S2",
        "expired_on": (valid_until + timedelta(days=1)).isoformat(),
    }
    mine = (
        await service.client.get(service.url(f"/requests/{request['id']}"), headers=citizen.headers)
    ).json()
    assert (mine["status"], mine["status_label"]) == ("expired", "Scaduta")

    # Later periods find nothing more to expire.
    clock.advance(timedelta(days=2))
    assert await run_both() == 1
    assert len(await service.events(EXPIRED)) == 1
    queue = await service.client.get(
        service.url("/admin/requests"), params={"status": "rejected"}, headers=service.headers("operator")
    )
    assert [i["id"] for i in queue.json()["items"]] == [rejected_one["id"]]


async def test_a_validity_in_days_ends_that_many_days_after_approval(fresh_service) -> None:  # noqa: ANN001
    clock = MovableClock()
    service = await fresh_service(clock=clock, run_jobs=False, certification_valid_until="30")
    request = await service.pending_request(service.citizen())
    approved = (await service.decide(request["id"], "approve", {})).json()
    today = local_date(clock.now())
    assert (approved["valid_from"], approved["valid_until"]) == (
        today.isoformat(),
        (today + timedelta(days=29)).isoformat(),
    )
    [event] = await service.events("certification.request.approved.v1")
    assert event["valid_until"] == approved["valid_until"]
