"""Each serving worker claims a CPU of its own and runs there (quart_pizza/cpus.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from quart_pizza.cpus import claim_cpu

CPUS = sorted(os.sched_getaffinity(0))


def test_claims_take_distinct_cpus_until_none_is_left(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    claims = [claim_cpu(prefix) for _ in CPUS]
    try:
        assert [claim[0] if claim else None for claim in claims] == CPUS
        assert claim_cpu(prefix) is None
    finally:
        for claim in claims:
            if claim is not None:
                os.close(claim[1])


def test_a_released_cpu_is_claimed_again(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    first = claim_cpu(prefix)
    assert first is not None
    os.close(first[1])
    again = claim_cpu(prefix)
    assert again is not None
    os.close(again[1])
    assert again[0] == first[0] == CPUS[0]


def test_a_dead_workers_cpu_is_free(tmp_path: Path) -> None:
    prefix = tmp_path / "shop.sqlite3"
    claimer = "import sys; from pathlib import Path; from quart_pizza.cpus import claim_cpu; "
    claimer += "print(claim_cpu(Path(sys.argv[1]))[0])"
    # The child exits (as a crashed worker would) without closing its lock.
    child = subprocess.run(
        [sys.executable, "-c", claimer, str(prefix)], check=True, capture_output=True, text=True
    )
    assert int(child.stdout) == CPUS[0]
    claim = claim_cpu(prefix)
    assert claim is not None
    os.close(claim[1])
    assert claim[0] == CPUS[0]


def test_workers_of_other_databases_do_not_compete(tmp_path: Path) -> None:
    claims = [claim_cpu(tmp_path / "a.sqlite3"), claim_cpu(tmp_path / "b.sqlite3")]
    try:
        assert [claim[0] if claim else None for claim in claims] == [CPUS[0], CPUS[0]]
    finally:
        for claim in claims:
            if claim is not None:
                os.close(claim[1])


PINNED_THREADS = """
import json, os, sys, threading
from quart_pizza.cpus import pin_process
stop = threading.Event()
threading.Thread(target=stop.wait).start()  # started before pinning, like the DB threads
pin_process(int(sys.argv[1]))
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
