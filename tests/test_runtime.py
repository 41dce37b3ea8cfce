import gc
import sys
from typing import Any

from quart_pizza import create_app


async def test_serving_worker_tunes_the_interpreter(config: dict[str, Any]) -> None:
    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    tuned = {
        "TUNE_INTERPRETER": True,
        "GIL_SWITCH_INTERVAL": 0.0003,
        "GC_GEN0_THRESHOLD": 12345,
        # Pinning would hold pytest's own threads to one CPU: tests/test_server.py checks it.
        "PIN_WORKERS_TO_CPUS": False,
    }
    app = create_app(config | tuned)
    try:
        async with app.test_app():
            assert sys.getswitchinterval() == 0.0003
            assert gc.get_threshold()[0] == 12345
            assert gc.get_freeze_count() > 0
    finally:
        sys.setswitchinterval(interval)
        gc.set_threshold(*threshold)
        gc.unfreeze()


async def test_tests_leave_the_interpreter_alone(config: dict[str, Any]) -> None:
    interval = sys.getswitchinterval()
    app = create_app(config)
    async with app.test_app():
        assert sys.getswitchinterval() == interval
