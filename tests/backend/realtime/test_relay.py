"""Live delivery, replay with ``since`` (no gap, no duplicate), rooms, masking, resync."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from backend.db.types import utcnow
from backend.eventlog import append_event
from backend.models import Event, QueueItem
from backend.realtime.retention import prune_events
from backend.runtime import Database
from backend.schemas.queue import queue_item_out
from backend.server import RunningServer
from backend.settings import Settings
from tests.backend.realtime.support import EPHEMERAL, People, Recorder, add_item, refused_at_connect

REFRESH = "leaderboard:refresh"


def emit(
    db: Database,
    type_: str = REFRESH,
    payload: dict[str, Any] | None = None,
    room: str | None = None,
) -> int:
    with db.transaction() as s:
        ev = append_event(
            s, type_, payload if payload is not None else {"boards": ["wins"]}, room=room
        )
        return ev.id


def test_live_then_replay_after_disconnect_then_live(
    server: RunningServer, people: People, db: Database
) -> None:
    async def main() -> None:
        first = Recorder()
        await first.connect(server.url, people.tokens["sales"])
        await first.joined(server)
        a = [await asyncio.to_thread(emit, db) for _ in range(3)]
        await first.wait_for(lambda: len(first.ids()) == 3)
        assert first.ids() == a
        await first.disconnect()
        missed = [await asyncio.to_thread(emit, db) for _ in range(4)]
        second = Recorder()
        await second.connect(server.url, people.tokens["sales"], since=a[-1])
        await second.wait_for(lambda: len(second.ids()) == 4)
        assert second.ids() == missed
        live = [await asyncio.to_thread(emit, db) for _ in range(2)]
        await second.wait_for(lambda: len(second.ids()) == 6)
        assert second.ids() == missed + live
        assert all(e in (REFRESH, *EPHEMERAL) for e, _ in second.events)
        env = second.events[0][1]
        assert set(env) == {"id", "type", "subscription_id", "actor", "payload", "created_at"}
        await second.disconnect()

    asyncio.run(main())


def test_replay_while_events_commit_has_no_gap_and_no_duplicate(
    server: RunningServer, people: People, db: Database
) -> None:
    since = emit(db)
    for _ in range(150):
        emit(db)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set() and len(written) < 400:
            written.append(emit(db))

    async def main() -> list[int]:
        t = threading.Thread(target=writer)
        t.start()
        rec = Recorder()
        try:
            await rec.connect(server.url, people.tokens["finance"], since=since)
            # writes go on while it replays and after it went live
            await rec.joined(server)
            after_join = len(written)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while len(written) < min(400, after_join + 20) and t.is_alive():
                assert loop.time() < deadline, "the writer stalled"
                await asyncio.sleep(0.01)
        finally:
            stop.set()
            await asyncio.to_thread(t.join)
        last = written[-1] if written else since
        await rec.wait_for(lambda: bool(rec.ids()) and rec.ids()[-1] >= last)
        await rec.disconnect()
        return rec.ids()

    got = asyncio.run(main())
    with db.read() as s:
        visible = list(
            s.scalars(
                select(Event.id)
                .where(
                    Event.id > since,
                    Event.id <= got[-1],
                    Event.room.in_(["everyone", "staff", f"user:{people.ids['finance']}"]),
                    Event.type.not_in(EPHEMERAL),
                )
                .order_by(Event.id)
            )
        )
    assert got == visible  # every id once, in order
    assert len(got) >= 150
    assert got[-1] >= (written[-1] if written else since)


def test_rooms_and_masking(server: RunningServer, people: People, db: Database) -> None:
    qid = add_item(db, email="ayse@gmail.com")
    with db.transaction() as s:
        item = s.get(QueueItem, qid)
        assert item is not None
        item.note = "Call ayse@gmail.com or a.yilmaz+work@corp.co.uk back"
    with db.read() as s:
        item = s.get(QueueItem, qid)
        item_json = queue_item_out(item).model_dump(mode="json")
    sales_id = people.ids["sales"]

    def produce() -> dict[str, int]:
        return {
            "queue": emit(db, "queue.new", {"item": item_json}),
            "chat": emit(
                db,
                "chat.message",
                {"message_id": 1, "seller_id": sales_id, "seller_name": "Sales", "text": "hi"},
            ),
            "points": emit(
                db,
                "points.awarded",
                {"points": 10, "reason": "claim", "source": "claim", "total": 10, "level": 0},
                room=f"user:{sales_id}",
            ),
            "tv": emit(
                db,
                "achievement:celebration",
                {
                    "achievement_id": 1,
                    "seller_id": sales_id,
                    "seller_name": "Sales",
                    "kind": "streak",
                    "title": "t",
                    "description": "d",
                    "emoji": "🔥",
                    "value": None,
                },
            ),
            "last": emit(db),
        }

    def check(tv: Recorder, sales: Recorder, lead: Recorder, ids: dict[str, int]) -> None:
        assert tv.ids() == [ids["queue"], ids["tv"], ids["last"]]
        assert sales.ids() == [ids["queue"], ids["chat"], ids["points"], ids["last"]]
        assert lead.ids() == [ids["queue"], ids["chat"], ids["last"]]

        def queue_new(rec: Recorder) -> dict[str, Any]:
            return next(d for e, d in rec.events if e == "queue.new")

        assert queue_new(tv)["payload"]["item"]["customer"]["email"] == "a•••@gmail.com"
        assert queue_new(sales)["payload"]["item"]["customer"]["email"] == "ayse@gmail.com"
        # an address in free text is masked for the TV too
        assert (
            queue_new(tv)["payload"]["item"]["note"]
            == "Call a•••@gmail.com or a•••@corp.co.uk back"
        )
        assert queue_new(sales)["payload"]["item"]["note"] == item_json["note"]

    async def main() -> None:
        live = {r: Recorder() for r in ("tv", "sales", "sales_lead")}
        for role, rec in live.items():
            await rec.connect(server.url, people.tokens[role])
            await rec.joined(server)
        ids = await asyncio.to_thread(produce)
        for rec in live.values():
            await rec.wait_for(lambda rec=rec: ids["last"] in rec.ids())
        check(live["tv"], live["sales"], live["sales_lead"], ids)
        # the same filtering on replay
        replay = {r: Recorder() for r in live}
        for role, rec in replay.items():
            await rec.connect(server.url, people.tokens[role], since=ids["queue"] - 1)
        for rec in replay.values():
            await rec.wait_for(lambda rec=rec: ids["last"] in rec.ids())
        check(replay["tv"], replay["sales"], replay["sales_lead"], ids)
        for rec in (*live.values(), *replay.values()):
            await rec.disconnect()

    asyncio.run(main())


def test_resync_required_when_since_is_newer_or_pruned(
    server: RunningServer, people: People, db: Database, rt_settings: Settings
) -> None:
    old = [emit(db) for _ in range(3)]
    latest = emit(db)

    async def first_event(since: int) -> tuple[str, Any]:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["tv"], since=since)
        await rec.wait_for(lambda: bool(rec.events))
        await rec.disconnect()
        return rec.events[0]  # a TV sees no presence events

    # no id: a client dropping the ids it has seen would drop it (since > latest here)
    resync = {"latest_id": latest, "type": "resync.required", "payload": {"latest_id": latest}}

    def stamped(data: Any) -> dict[str, Any]:
        # the envelope of every event: created_at is when it was sent (ISO 8601)
        assert datetime.fromisoformat(data["created_at"])
        return {k: v for k, v in data.items() if k != "created_at"}

    name, data = asyncio.run(first_event(latest + 100))
    assert (name, stamped(data)) == ("resync.required", resync)
    with db.transaction() as s:
        s.execute(
            update(Event)
            .where(Event.id.in_(old))
            .values(created_at=utcnow() - timedelta(days=rt_settings.event_retention_days + 1))
        )
    # older than the retention but not pruned yet (the prune runs daily): still outside
    # the kept history
    name, data = asyncio.run(first_event(old[0]))
    assert (name, stamped(data)) == ("resync.required", resync)
    with db.transaction() as s:
        assert prune_events(s, rt_settings) == 3
    name, data = asyncio.run(first_event(old[0]))
    assert (name, stamped(data)) == ("resync.required", resync)
    # from the oldest kept point on, replay works
    name, data = asyncio.run(first_event(old[-1]))
    assert name == REFRESH and data["id"] == latest

    # a fresh client (since null) gets no resync and no history: only what happens next
    async def fresh_first_event() -> tuple[str, Any]:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["tv"], since=None)
        await rec.joined(server)  # any history would have been sent before this point
        new = await asyncio.to_thread(emit, db)
        await rec.wait_for(lambda: bool(rec.events))
        await rec.disconnect()
        assert rec.events[0][1]["id"] == new
        return rec.events[0]

    name, data = asyncio.run(fresh_first_event())
    assert name == REFRESH and data["id"] > latest


@pytest.mark.parametrize("token", ["", "nonsense", "wrtv_unknown-token-value-000000000000"])
def test_bad_token_is_refused_at_connect(server: RunningServer, token: str) -> None:
    async def main() -> None:
        refusal = await refused_at_connect(server.url, {"token": token, "since": None})
        # a sentence for a person, and the envelope's code for a program
        assert refusal["data"]["code"] in ("not_authenticated", "invalid_token")
        assert refusal["message"] == refusal["data"]["message"]

    asyncio.run(main())


def test_event_from_another_process_reaches_clients(
    server: RunningServer, people: People, db: Database
) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    code = (
        "import sys\n"
        "from backend.runtime import database_for_url\n"
        "from backend.eventlog import append_event\n"
        "db = database_for_url(sys.argv[1])\n"
        "with db.transaction() as s:\n"
        "    print(append_event(s, 'leaderboard:refresh', {'boards': ['other']}).id)\n"
        "db.dispose()\n"
    )

    async def main() -> None:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["tv"])
        await rec.joined(server)
        out = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-c", code, url],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        ev_id = int(out.stdout.strip())
        await rec.wait_for(lambda: ev_id in rec.ids())
        assert rec.events[-1][1]["payload"] == {"boards": ["other"]}
        await rec.disconnect()

    asyncio.run(main())


def test_claim_over_http_reaches_the_tv(
    server: RunningServer, people: People, db: Database
) -> None:
    qid = add_item(db, email="zeynep@mail.com")

    async def main() -> None:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["tv"])
        await rec.joined(server)
        async with httpx.AsyncClient(base_url=server.url) as http:
            resp = await http.post(
                "/api/claim",
                json={"queue_id": qid, "claim_type": "upgrade"},
                headers=people.headers("sales"),
            )
        assert resp.status_code == 201
        await rec.wait_for(lambda: any(e == "claimed" for e, _ in rec.events))
        claimed = next(d for e, d in rec.events if e == "claimed")
        assert claimed["payload"]["queue_id"] == qid
        assert claimed["payload"]["seller_name"] == "Sales"
        assert claimed["payload"]["claim_type"] == "upgrade"
        assert not any(e in ("points.awarded", "chat.message") for e, _ in rec.events)
        await rec.disconnect()

    asyncio.run(main())


def test_since_as_text_or_whole_float_replays_and_nonsense_is_refused(
    server: RunningServer, people: People, db: Database
) -> None:
    first, second = emit(db), emit(db)

    async def replayed(since: Any) -> list[int]:
        rec = Recorder()
        await rec.connect(server.url, people.tokens["tv"], since=since)
        await rec.wait_for(lambda: second in rec.ids())
        await rec.disconnect()
        return rec.ids()

    async def refusal(since: Any) -> Any:
        auth = {"token": people.tokens["tv"], "since": since}
        return (await refused_at_connect(server.url, auth))["data"]["code"]

    async def main() -> None:
        # an id kept in text storage, or put through a float by a JSON encoder
        assert await replayed(str(first - 1)) == [first, second]
        assert await replayed(f" {first} ") == [second]
        assert await replayed(float(first)) == [second]
        for bad in (True, -1, 1.5, "abc", "1e3", "", [first], {"id": first}):
            assert await refusal(bad) == "invalid_since", bad

    asyncio.run(main())
