"""The live benchmark: `python -m bench.live [--streams 1000] [--repetitions 3]`.

quart_pizza under real hypercorn (hypercorn.toml, 2 workers) holds `--streams` open order
streams (`GET /orders/<id>/events`, 4 per guest session, each on an order of its own) in a
client process of their own, while wrk places orders at 64 connections and a member of staff
moves the watched orders along. It reports:

- memory per idle stream: the workers' resident memory with every stream open and idle, less
  before, over the streams;
- delivery: for each status change, from its commit (the event's time in the database) to each
  stream receiving it, p50 and p99;
- orders/s with the streams open against the same run without them (interleaved).

Every acknowledged order is checked against the rows stored, as in bench.run.
"""

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.run import (
    BENCH,
    CSRF_INPUT,
    ROOT,
    SqliteFile,
    Variant,
    register,
    run_wrk,
    say,
    start_quart,
    write_sessions,
)

STREAMS_PER_SESSION = 4


def holder_main(port: int, plan: Path, out: Path, ready: Path) -> None:
    """In a process of its own: open every stream of `plan`, note each event's arrival."""

    async def hold(cookie: str, order_id: int, arrivals: list[tuple[int, float, int]]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET /orders/{order_id}/events HTTP/1.1\r\nHost: bench\r\n"
                     f"Cookie: {cookie}\r\n\r\n".encode())  # fmt: skip
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        while await reader.readline() not in (b"\r\n", b""):
            pass
        event_id = 0
        while line := await reader.readline():
            if line.startswith(b"id: "):
                event_id = int(line[4:])
            elif line.startswith(b"data: "):
                arrivals.append((event_id, time.time(), order_id))

    async def main() -> None:
        arrivals: list[tuple[int, float, int]] = []
        tasks = []
        for line in plan.read_text().splitlines():
            cookie, order_id = line.split("\t")
            tasks.append(asyncio.create_task(hold(cookie, int(order_id), arrivals)))
            if len(tasks) % 50 == 0:
                await asyncio.sleep(0.05)  # do not flood the accept queues
        await asyncio.sleep(2)
        ready.write_text(str(sum(not task.done() for task in tasks)))  # streams open
        stop = out.with_suffix(".stop")
        while not stop.exists():
            await asyncio.sleep(0.2)
        out.write_text(json.dumps(arrivals))
        for task in tasks:
            task.cancel()

    asyncio.run(main())


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def guest_sessions(url: str, count: int) -> list[tuple[str, str]]:
    """`count` guest sessions: each one's cookie and CSRF token."""
    limit = asyncio.Semaphore(16)

    async def one() -> tuple[str, str]:
        async with limit, httpx.AsyncClient(base_url=url) as client:
            page = await client.get("/")
            token = CSRF_INPUT.search(page.text)
            assert token is not None
            return f"pizza_session={client.cookies['pizza_session']}", token.group(1)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def place_watched_orders(url: str, sessions: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Four orders per session; each (cookie, order id)."""
    limit = asyncio.Semaphore(16)

    async def orders_of(cookie: str, token: str) -> list[tuple[str, int]]:
        placed = []
        async with limit, httpx.AsyncClient(base_url=url, headers={"Cookie": cookie}) as client:
            for _ in range(STREAMS_PER_SESSION):
                response = await client.post("/api/orders", headers={"X-CSRF-Token": token},
                                             json={"pizza": "funghi", "size": "small",
                                                   "quantity": 1})  # fmt: skip
                assert response.status_code == 201, response.text
                placed.append((cookie, int(response.json()["id"])))
        return placed

    results = await asyncio.gather(*(orders_of(c, t) for c, t in sessions))
    return [pair for result in results for pair in result]


async def move_along(url: str, staff: tuple[str, ...], order_ids: list[int], seconds: float,
                     rate: float, done: int) -> int:  # fmt: skip
    """Move the watched orders one status on, `rate` moves a second for `seconds`, carrying
    on after the `done` moves of the runs before; the moves made."""
    cookie, token = staff
    steps = ["preparing", "baking", "ready", "completed"]
    moves = 0
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, headers={"Cookie": cookie}) as client:
        while time.monotonic() - started < seconds:
            step = done + moves
            order_id = order_ids[step % len(order_ids)]
            status = steps[(step // len(order_ids)) % len(steps)]
            response = await client.post(f"/kitchen/orders/{order_id}/status",
                                         data={"status": status, "csrf_token": token})  # fmt: skip
            assert response.status_code == 303, (order_id, status, response.status_code)
            moves += 1
            await asyncio.sleep(max(0.0, started + moves / rate - time.monotonic()))
    return moves


def event_times(database: Path, after: int) -> dict[int, float]:
    """Each event's commit time (its `at`, UTC with milliseconds) by id."""
    import sqlite3

    with closing(sqlite3.connect(database)) as conn:
        rows = conn.execute("SELECT id, at FROM order_events WHERE id > ?", (after,)).fetchall()
    return {
        event_id: datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
        for event_id, at in rows
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--moves-per-second", type=float, default=50.0)
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "live")
    parser.add_argument("--holder", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--mover", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mover:
        plan = json.loads(args.mover.read_text())
        print(asyncio.run(move_along(plan["url"], tuple(plan["staff"]), plan["order_ids"],
                                     plan["seconds"], plan["rate"], plan["done"])))  # fmt: skip
        return
    if args.holder:
        port, plan, out, ready = args.holder
        holder_main(int(port), Path(plan), Path(out), Path(ready))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="quart_pizza-live-") as tmp:
        workdir = Path(tmp)
        variant = Variant("live", ROOT, {"PIZZA_REGISTER_CLIENT_MAX": "0"})
        server = start_quart(workdir, variant, SqliteFile(workdir / "live.sqlite3"), workers=2)
        try:
            report = measure(args, workdir, server)
        finally:
            server.stop()
    (args.out / "results.json").write_text(json.dumps(report, indent=1))
    say(json.dumps(report["summary"], indent=1))


def measure(args: argparse.Namespace, workdir: Path, server: Any) -> dict[str, Any]:
    url = server.url
    customers = asyncio.run(register(server, 64))
    sessions_file = write_sessions(workdir, server, customers)
    staff_cookie, staff_token = customers[0][1], customers[0][2]
    import sqlite3

    with closing(sqlite3.connect(server.database.path)) as conn, conn:
        conn.execute("UPDATE users SET staff = 1 WHERE username = ?", (customers[0][0],))
    guests = asyncio.run(guest_sessions(url, args.streams // STREAMS_PER_SESSION))
    watched = asyncio.run(place_watched_orders(url, guests))
    plan = workdir / "streams.plan"
    plan.write_text("".join(f"{cookie}\t{order_id}\n" for cookie, order_id in watched))
    workers = server.pids()[1:]
    runs: list[dict[str, Any]] = []
    memory_per_stream: list[float] = []
    delays: list[float] = []
    moved = 0
    for repetition in range(args.repetitions):
        for with_streams in (True, False) if repetition % 2 == 0 else (False, True):
            holder = None
            opened, delivered = 0, len(delays)
            out = workdir / f"arrivals-{repetition}.json"
            if with_streams:
                idle = rss_kib(workers)
                ready = workdir / f"ready-{repetition}"
                holder = subprocess.Popen([sys.executable, "-m", "bench.live", "--holder",
                                           str(server.port), str(plan), str(out), str(ready)],
                                          cwd=ROOT)  # fmt: skip
                while not ready.exists():
                    time.sleep(0.2)
                time.sleep(1)
                opened = int(ready.read_text())
                memory_per_stream.append((rss_kib(workers) - idle) / args.streams)
            with closing(sqlite3.connect(server.database.path)) as conn:
                last_event = conn.execute(
                    "SELECT coalesce(max(id), 0) FROM order_events"
                ).fetchone()[0]
            mover_plan = workdir / "mover.json"
            mover_plan.write_text(json.dumps({
                "url": url, "staff": [staff_cookie, staff_token],
                "order_ids": [order_id for _, order_id in watched], "seconds": args.seconds,
                "rate": args.moves_per_second, "done": moved,
            }))  # fmt: skip
            mover = subprocess.Popen([sys.executable, "-m", "bench.live", "--mover",
                                      str(mover_plan)], cwd=ROOT, stdout=subprocess.PIPE,
                                     text=True)  # fmt: skip
            run = run_wrk(server, sessions_file, "orders", 64, args.seconds, 3.0, repetition)
            out_text, _ = mover.communicate()
            moves = int(out_text)
            moved += moves
            if holder is not None:
                out.with_suffix(".stop").write_text("")
                holder.wait()
                commits = event_times(server.database.path, last_event)
                for event_id, received, _ in json.loads(out.read_text()):
                    if event_id in commits:
                        delays.append((received - commits[event_id]) * 1000)
            runs.append({"streams": with_streams, "open": opened, "moves": moves,
                         "deliveries": len(delays) - delivered,
                         "rate": run.rate, "p99_ms": run.p99_ms,
                         "exact": run.exact, "repetition": repetition})  # fmt: skip
            say(
                f"  streams={'on ' if with_streams else 'off'} {run.rate:7.0f} orders/s "
                f"p99={run.p99_ms:.1f} ms rows={'ok' if run.exact else 'MISMATCH'} "
                f"streams open={opened} moves={moves} deliveries={len(delays) - delivered}"
            )
    on = [r["rate"] for r in runs if r["streams"]]
    off = [r["rate"] for r in runs if not r["streams"]]
    ratios = [
        a["rate"] / b["rate"]
        for a, b in zip(
            [r for r in runs if r["streams"]], [r for r in runs if not r["streams"]], strict=True
        )
    ]
    delays.sort()
    summary = {
        "streams": args.streams,
        "orders_per_s_with_streams": statistics.median(on),
        "orders_per_s_without": statistics.median(off),
        "ratio": round(statistics.median(ratios), 3),
        "delivery_ms_p50": round(delays[len(delays) // 2], 1) if delays else None,
        "delivery_ms_p99": round(delays[int(len(delays) * 0.99)], 1) if delays else None,
        "deliveries": len(delays),
        "kib_per_idle_stream": round(statistics.median(memory_per_stream), 1),
        "kib_per_idle_stream_each_run": [round(kib, 1) for kib in memory_per_stream],
        "exact": all(r["exact"] for r in runs),
    }
    if not summary["exact"]:
        raise SystemExit("LOST OR DUPLICATE ORDERS")
    return {"summary": summary, "runs": runs}


if __name__ == "__main__":
    main()
