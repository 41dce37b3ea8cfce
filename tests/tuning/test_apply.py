"""`tuning.apply`: the profiles, one setting per part, and stock Quart when everything is off."""

import gc
import sys
from typing import Any

import pytest
from quart import Quart, asgi
from quart.sessions import SecureCookieSessionInterface

from quart_pizza import create_app
from quart_pizza.tuning import PARTS, PROFILES, TuningConfigError, chosen_parts


def test_profiles() -> None:
    default = chosen_parts({"TUNING": "default"})
    dedicated = chosen_parts({"TUNING": "dedicated-host"})
    off = chosen_parts({"TUNING": "off"})
    assert off == PARTS
    # What decides the deployment is only in the dedicated-host profile ...
    assert default["LISTENING_SOCKETS"] == 0 and default["PIN_WORKERS_TO_CPUS"] is False
    assert dedicated["LISTENING_SOCKETS"] > 0 and dedicated["PIN_WORKERS_TO_CPUS"] is True
    # ... and the switch interval, which no measurement supports, in none.
    assert all(parts.get("GIL_SWITCH_INTERVAL") is None for parts in PROFILES.values())
    assert dedicated == default | {"LISTENING_SOCKETS": 8, "PIN_WORKERS_TO_CPUS": True}


def test_a_part_setting_overrides_the_profile() -> None:
    assert chosen_parts({"TUNING": "off", "TUNE_KEEPALIVE_TIMER": True})["KEEPALIVE_TIMER"]
    assert not chosen_parts({"TUNE_SESSION_COOKIE": False})["SESSION_COOKIE"]
    assert chosen_parts({"TUNE_GIL_SWITCH_INTERVAL": False})["GIL_SWITCH_INTERVAL"] == 0
    assert chosen_parts({"TUNE_LISTENING_SOCKETS": 3})["LISTENING_SOCKETS"] == 3


@pytest.mark.parametrize(
    "config",
    [
        {"TUNING": "fast"},
        {"TUNE_SESSION_COOKIE": "yes"},
        {"TUNE_LISTENING_SOCKETS": -1},
        {"TUNE_GIL_SWITCH_INTERVAL": "1ms"},
        {"TUNE_PIN_WORKERS_TO_CPUS": 1},
    ],
)
def test_a_setting_it_cannot_take_stops_the_start(config: dict[str, Any]) -> None:
    with pytest.raises(TuningConfigError):
        chosen_parts(config)


def test_off_is_stock_quart(config: dict[str, Any]) -> None:
    unset = {f"TUNE_{part}": None for part in PARTS}  # whatever the environment says
    app = create_app(config | unset | {"TUNING": "off"})
    assert app.asgi_http_class is asgi.ASGIHTTPConnection
    assert app.request_class is Quart.request_class
    assert type(app.session_interface) is SecureCookieSessionInterface
    assert "skip_finished_responses" not in app.make_response.__qualname__
    assert app.extensions["quart_pizza.tuning"].parts == PARTS


async def test_a_serving_worker_gets_the_process_wide_parts(config: dict[str, Any]) -> None:
    interval = sys.getswitchinterval()
    tuned = {"TUNE_GIL_SWITCH_INTERVAL": 0.0003, "TUNE_GC_FREEZE": True}
    app = create_app(config | tuned)
    try:
        async with app.test_app():
            assert sys.getswitchinterval() == 0.0003
            assert gc.get_freeze_count() > 0
            parts = app.extensions["quart_pizza.tuning"].parts
            assert parts["GIL_SWITCH_INTERVAL"] == 0.0003 and parts["GC_FREEZE"] is True
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()


async def test_tests_leave_the_interpreter_alone(config: dict[str, Any]) -> None:
    interval = sys.getswitchinterval()
    app = create_app(config)
    async with app.test_app():
        assert sys.getswitchinterval() == interval
        assert gc.get_freeze_count() == 0
