"""CPU instructions per order: `python -m bench.instructions [--orders N] [--env NAME=VALUE]`.

Wall-clock figures on a shared 2-core machine move by 10-20% from run to run, which hides a
change of a few percent. Instructions do not: this runs quart_pizza in one hypercorn process
(`--workers 0`, with `hypercorn.toml`) under valgrind's callgrind, registers 16 customers,
sends warm-up orders, then counts the instructions (event loop and database threads alike)
spent on `--orders` more `POST /orders/create` over 16 keep-alive connections. The same code
gives the same count within 0.1%. Needs valgrind (`apt-get install valgrind`); takes about a
minute. It measures the code in the current directory, so run it from each checkout to compare.
"""

import argparse
import asyncio
import http.client
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench.run import (
    ROOT,
    Customer,
    Server,
    SqliteFile,
    free_port,
    quart_env,
    register,
    wait_healthy,
)

CONNECTIONS = 16
WARM_UP_ORDERS = 320
FORM = "pizza=margherita&size=medium&quantity=2&csrf_token={}"


def place_orders(port: int, customers: list[Customer], orders: int) -> None:
    """`orders` order form posts, spread over one keep-alive connection per customer."""

    def customer(cookie: str, token: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        for _ in range(orders // len(customers)):
            connection.request("POST", "/orders/create", FORM.format(token), headers)
            response = connection.getresponse()
            response.read()
            if response.status != 303:
                raise SystemExit(f"an order was answered {response.status}")
        connection.close()

    threads = [threading.Thread(target=customer, args=(c, t)) for _, c, t, _ in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def total_instructions(dump: Path) -> int:
    """The instruction count a callgrind dump file reports (0 for a dump of nothing)."""
    totals = [
        int(line.split()[1])
        for line in dump.read_text().splitlines()
        if line.startswith(("summary:", "totals:"))
    ]
    return max(totals, default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=800)
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the app")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        port = free_port()
        database = SqliteFile(Path(workdir, "quart.sqlite3"))
        env = quart_env(database.url, Path(workdir, "instance"))
        env["PYTHONHASHSEED"] = "0"  # same dict layouts, same count
        env.update(item.split("=", 1) for item in args.env)
        dump = Path(workdir) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={dump}",
            sys.executable, "-m", "hypercorn", "-c", "hypercorn.toml", "--workers", "0",
            "--bind", f"127.0.0.1:{port}", "quart_pizza:create_app()",
        ]  # fmt: skip
        log = Path(workdir) / "hypercorn.log"
        with log.open("wb") as output:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        url = f"http://127.0.0.1:{port}"
        server = Server("quart", [process], [url], database, "pizza_session", 303, 0)
        try:
            wait_healthy(process, url, log, limit=300)  # valgrind slows start-up 50-fold
            customers = asyncio.run(register(server, CONNECTIONS))
            place_orders(port, customers, WARM_UP_ORDERS)
            subprocess.run(["callgrind_control", "--instr=on", str(process.pid)], check=True,
                           capture_output=True)  # fmt: skip
            place_orders(port, customers, args.orders)
            for control in ("--instr=off", "--dump"):  # the dump goes to callgrind.out.1
                subprocess.run(["callgrind_control", control, str(process.pid)], check=True,
                               capture_output=True)  # fmt: skip
        finally:
            process.terminate()
            process.wait(120)
        instructions = max(map(total_instructions, dump.parent.glob(f"{dump.name}*")))
    print(f"{instructions / args.orders / 1e6:.3f}M instructions per order "
          f"({args.orders} orders, {' '.join(args.env) or 'defaults'})")  # fmt: skip


if __name__ == "__main__":
    main()
