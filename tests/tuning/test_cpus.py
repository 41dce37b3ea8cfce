"""Each serving worker claims a CPU of its own and, once the workers fill the cores, runs
there (quart_pizza/cpus.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from quart_pizza.tuning.cpus import all_claimed, claim_cpu

CPUS = sorted(os.sched_getaffinity(0))


def release(claims: list[tuple[int, int] | None]) -> None:
    for claim in claims:
        if claim is not None:
            os.close(claim[1])


def test_claims_take_distinct_cpus_until_none_is_left(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    claims = [claim_cpu(prefix, CPUS) for _ in CPUS]
    try:
        assert [claim[0] if claim else None for claim in claims] == CPUS
        assert claim_cpu(prefix, CPUS) is None
    finally:
        release(claims)


def test_a_released_cpu_is_claimed_again(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    first = claim_cpu(prefix, CPUS)
    assert first is not None
    os.close(first[1])
    again = claim_cpu(prefix, CPUS)
    assert again is not None
    os.close(again[1])
    assert again[0] == first[0] == CPUS[0]


def test_a_dead_workers_cpu_is_free(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    claimer = (
        "import sys; from pathlib import Path; from quart_pizza.tuning.cpus import claim_cpu; "
    )
    claimer += "print(claim_cpu(Path(sys.argv[1]), [int(sys.argv[2])])[0])"
    # The child exits (as a crashed worker would) without closing its lock.
    child = subprocess.run(
        [sys.executable, "-c", claimer, str(prefix), str(CPUS[0])],
        check=True,
        capture_output=True,
        text=True,
    )
    assert int(child.stdout) == CPUS[0]
    claim = claim_cpu(prefix, CPUS)
    assert claim is not None
    os.close(claim[1])
    assert claim[0] == CPUS[0]


def test_workers_of_other_databases_do_not_compete(tmp_path: Path) -> None:
    claims = [claim_cpu(tmp_path / "a.sqlite3", CPUS), claim_cpu(tmp_path / "b.sqlite3", CPUS)]
    try:
        assert [claim[0] if claim else None for claim in claims] == [CPUS[0], CPUS[0]]
    finally:
        release(claims)


def test_the_cores_are_full_once_every_cpu_is_claimed(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    cpus = [0, 1]  # lock files only: any two numbers will do
    first = claim_cpu(prefix, cpus)
    assert first is not None
    try:
        assert not all_claimed(prefix, cpus)  # a core to spare: stay unpinned
        second = claim_cpu(prefix, cpus)  # the probe took no lock with it
        assert second is not None
        os.close(second[1])
        assert second[0] == 1
        second = claim_cpu(prefix, cpus)
        assert second is not None
        try:
            assert all_claimed(prefix, cpus)
        finally:
            os.close(second[1])
        assert not all_claimed(prefix, cpus)  # a worker went away
    finally:
        os.close(first[1])


PINNED_THREADS = """
import json, os, sys, threading
from quart_pizza.tuning.cpus import pin_process
stop = threading.Event()
threading.Thread(target=stop.wait).start()  # started before pinning, like the DB threads
pin_process({int(sys.argv[1])})
threading.Thread(target=stop.wait).start()  # started after
print(json.dumps([sorted(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")]))
stop.set()
"""


def test_pinning_covers_every_thread_and_the_ones_started_later() -> None:
    # In a child process: pinning pytest's own threads would slow the rest of the suite.
    cpu = CPUS[-1]
    child = subprocess.run(
        [sys.executable, "-c", PINNED_THREADS, str(cpu)],
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(child.stdout) == [[cpu]] * 3
