"""Everything that patches or replaces Quart, hypercorn or the interpreter, in one place.

The shop imports nothing from here; `create_app` calls `apply(app)` last. Each part has one
setting, `TUNE_<PART>`; left unset, the profile in `TUNING` decides:

- `default`: the parts that change no behaviour and check the shape of the code they rely on
  (each logs a warning and stays off when an upgrade changed that code);
- `dedicated-host`: those, and the parts that decide how the host is shared, for a host that
  runs this shop alone: listening sockets of each worker's own and a CPU per worker;
- `off`: nothing; the app is stock Quart on stock hypercorn.
"""

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from quart import Quart

from . import (
    cookies,
    cpus,
    interpreter,
    keepalive,
    listeners,
    requests,
    schema,
    templates,
    worker_stop,
)

log = logging.getLogger(__name__)

PROFILES: Final[dict[str, dict[str, Any]]] = {
    "off": {},
    "default": {
        "BLUEPRINT_NAMES": True,
        "RESPONSE_MESSAGES": True,
        "REQUEST_IN_ONE_TASK": True,
        "SESSION_COOKIE": True,
        "SCHEMA_RESPONSES": True,
        "TEMPLATE_CONTEXT": True,
        "SYNC_TEMPLATES": True,
        "KEEPALIVE_TIMER": True,
        "STOP_STREAMS": True,
        "GC_FREEZE": True,
    },
}
PROFILES["dedicated-host"] = PROFILES["default"] | {
    "LISTENING_SOCKETS": 8,
    "PIN_WORKERS_TO_CPUS": True,
}
# Every part, as it is when off. GIL_SWITCH_INTERVAL is in no profile: no measurement showed
# a gain over Python's own interval (docs/performance.md).
PARTS: Final[dict[str, Any]] = {
    "BLUEPRINT_NAMES": False,
    "RESPONSE_MESSAGES": False,
    "REQUEST_IN_ONE_TASK": False,
    "SESSION_COOKIE": False,
    "SCHEMA_RESPONSES": False,
    "TEMPLATE_CONTEXT": False,
    "SYNC_TEMPLATES": False,
    "KEEPALIVE_TIMER": False,
    "STOP_STREAMS": False,
    "GC_FREEZE": False,
    "GIL_SWITCH_INTERVAL": 0.0,
    "LISTENING_SOCKETS": 0,
    "PIN_WORKERS_TO_CPUS": False,
}


class TuningConfigError(ValueError):
    """A tuning setting has a value it cannot take; raised when the app is built."""


def chosen_parts(config: Mapping[str, Any]) -> dict[str, Any]:
    """Each part's value: its own `TUNE_<PART>` setting if set, else the profile's."""
    profile = config.get("TUNING") or "default"
    if profile not in PROFILES:
        raise TuningConfigError(f"PIZZA_TUNING must be one of {', '.join(PROFILES)}: {profile!r}")
    chosen = {}
    for part, off in PARTS.items():
        value = config.get(f"TUNE_{part}")
        if value is None:
            value = PROFILES[profile].get(part, off)
        if not isinstance(off, bool) and value is False:
            value = off  # "false" turns a numeric part off too
        if isinstance(off, bool) and not isinstance(value, bool):
            raise TuningConfigError(f"PIZZA_TUNE_{part} must be true or false: {value!r}")
        if not isinstance(off, bool) and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            raise TuningConfigError(f"PIZZA_TUNE_{part} must be a number >= 0: {value!r}")
        chosen[part] = value
    return chosen


@dataclass
class Applied:
    """What `apply` turned on, by part (for the log and the tests)."""

    parts: dict[str, Any]


def apply(app: Quart) -> Applied:
    """Apply the chosen parts to `app`; the process-wide ones when a worker starts serving.

    Call it last in `create_app`: some parts replace what the shop set up.
    """
    chosen = chosen_parts(app.config)
    applied = Applied({part: PARTS[part] for part in PARTS})

    def use(part: str, fits: bool) -> bool:
        if not chosen[part]:
            return False
        if not fits:
            log.warning("tuning part %s left off: the code it patches has changed", part)
            return False
        applied.parts[part] = chosen[part]
        return True

    if use("BLUEPRINT_NAMES", requests.blueprint_names_fit()):
        app.request_class = requests.BlueprintNamesOnce
    app.asgi_http_class = requests.connection_class(
        one_task=use("REQUEST_IN_ONE_TASK", requests.one_task_fits()),
        two_messages=use("RESPONSE_MESSAGES", requests.two_messages_fit()),
    )
    if use("SESSION_COOKIE", True):
        app.session_interface = cookies.FastCookieSessionInterface()
    if chosen["SCHEMA_RESPONSES"]:
        use("SCHEMA_RESPONSES", schema.skip_finished_responses(app))
    if chosen["TEMPLATE_CONTEXT"]:
        use("TEMPLATE_CONTEXT", templates.drop_flask_context_processor(app))
    if chosen["SYNC_TEMPLATES"]:
        use("SYNC_TEMPLATES", templates.render_synchronously(app))
    live = app.extensions.get("quart_pizza.live")
    if chosen["STOP_STREAMS"] and live is not None:
        use("STOP_STREAMS", worker_stop.install(live.close))
    app.extensions["quart_pizza.tuning"] = applied
    _apply_to_worker(app, chosen, applied)
    return applied


def _apply_to_worker(app: Quart, chosen: dict[str, Any], applied: Applied) -> None:
    """The process-wide parts, applied in each worker once it serves."""
    hashing = app.extensions.get("quart_pizza.passwords")
    pinning = cpus.Pinning(
        Path(app.instance_path) / "cpu",
        keep_off_loop=hashing.native_thread_ids if hashing is not None else set,
    )

    @app.before_serving
    async def tune_worker() -> None:
        if chosen["GIL_SWITCH_INTERVAL"]:
            interpreter.set_switch_interval(chosen["GIL_SWITCH_INTERVAL"])
            applied.parts["GIL_SWITCH_INTERVAL"] = chosen["GIL_SWITCH_INTERVAL"]
        if chosen["GC_FREEZE"]:
            interpreter.freeze_startup_objects()
            applied.parts["GC_FREEZE"] = True
        if chosen["KEEPALIVE_TIMER"] and keepalive.install():
            applied.parts["KEEPALIVE_TIMER"] = True
        per_socket = int(chosen["LISTENING_SOCKETS"])
        sockets = listeners.inherited_sockets()
        if per_socket and listeners.SUPPORTED and sockets is not None:
            for address in listeners.own_listening_sockets(sockets, per_socket):
                log.info("worker %d: %d sockets of its own on %s", os.getpid(), per_socket, address)
            applied.parts["LISTENING_SOCKETS"] = per_socket
        if chosen["PIN_WORKERS_TO_CPUS"] and cpus.SUPPORTED:
            Path(app.instance_path).mkdir(parents=True, exist_ok=True)
            await pinning.start()
            applied.parts["PIN_WORKERS_TO_CPUS"] = True

    @app.after_serving
    async def release_cpu() -> None:
        await pinning.stop()
