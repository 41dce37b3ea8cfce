"""Flask pizza shop, written the way the classic Flask sessions tutorial does it.

Benchmark baseline: stdlib sqlite3 with a new connection per request (flaskr's
``get_db()`` on ``g`` plus a ``teardown_appcontext`` close), signed-cookie session.
"""

import os
import sqlite3
from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

SIZES = ("small", "medium", "large")
MENU = (
    ("margherita", "Margherita", (800, 1050, 1300)),
    ("pepperoni", "Pepperoni", (950, 1250, 1550)),
    ("funghi", "Funghi", (900, 1200, 1450)),
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pizzas (
    id INTEGER PRIMARY KEY,
    slug TEXT UNIQUE NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pizza_prices (
    pizza_id INTEGER NOT NULL REFERENCES pizzas(id),
    size TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    PRIMARY KEY (pizza_id, size)
);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS order_items (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    pizza_id INTEGER NOT NULL,
    size TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_user_id_idx ON orders (user_id);
"""

ORDER_SQL = """
SELECT o.id, o.user_id, o.created_at, p.name, i.size, i.quantity, i.unit_price_cents
FROM orders o
JOIN order_items i ON i.order_id = o.id
JOIN pizzas p ON p.id = i.pizza_id
WHERE o.id = :order_id
"""

app = Flask(__name__)
app.config["DATABASE"] = os.environ["FLASK_PIZZA_DATABASE"]
app.secret_key = os.environ["FLASK_PIZZA_SECRET_KEY"]


def init_db(path: str) -> None:
    """Create the schema and seed the menu; safe when several workers start at once."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
        for slug, name, prices in MENU:
            conn.execute(
                "INSERT OR IGNORE INTO pizzas (slug, name) VALUES (:slug, :name)",
                {"slug": slug, "name": name},
            )
            for size, price in zip(SIZES, prices, strict=True):
                conn.execute(
                    "INSERT OR IGNORE INTO pizza_prices (pizza_id, size, price_cents) "
                    "SELECT id, :size, :price FROM pizzas WHERE slug = :slug",
                    {"size": size, "price": price, "slug": slug},
                )
        conn.execute("COMMIT")
    finally:
        conn.close()


def get_db() -> sqlite3.Connection:
    """Return this request's connection, opening it on first use."""
    if "db" not in g:
        g.db = sqlite3.connect(app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    db: sqlite3.Connection = g.db
    return db


@app.teardown_appcontext
def close_db(exc: BaseException | None = None) -> None:
    """Close the request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def load_menu() -> list[dict[str, Any]]:
    """Return the pizzas with their prices per size."""
    rows = (
        get_db()
        .execute(
            "SELECT p.id, p.slug, p.name, pp.size, pp.price_cents FROM pizzas p "
            "JOIN pizza_prices pp ON pp.pizza_id = p.id ORDER BY p.id"
        )
        .fetchall()
    )
    menu: dict[int, dict[str, Any]] = {}
    for row in rows:
        pizza = menu.setdefault(row["id"], {"slug": row["slug"], "name": row["name"], "prices": {}})
        pizza["prices"][row["size"]] = row["price_cents"]
    return list(menu.values())


def load_order(order_id: int) -> list[sqlite3.Row]:
    """Return the order's item rows (empty if there is no such order)."""
    return get_db().execute(ORDER_SQL, {"order_id": order_id}).fetchall()


def start_session(user_id: int, username: str) -> None:
    """Replace the session with a logged-in one."""
    session.clear()
    session["user_id"] = user_id
    session["username"] = username


@app.template_filter("money")
def money(cents: int) -> str:
    """Format an amount in cents as dollars."""
    return f"${cents / 100:.2f}"


@app.get("/")
def index() -> str:
    """Show the menu and the order form."""
    return render_template("menu.html", menu=load_menu(), sizes=SIZES)


@app.post("/orders/create")
def create_order() -> Response | tuple[str, int]:
    """Validate the order form, store the order and remember it in the session."""
    slug = request.form.get("pizza", "")
    size = request.form.get("size", "")
    try:
        quantity = int(request.form.get("quantity", ""))
    except ValueError:
        return "Invalid quantity.", 400
    if size not in SIZES:
        return "Invalid size.", 400
    if not 1 <= quantity <= 20:
        return "Quantity must be between 1 and 20.", 400
    db = get_db()
    price = db.execute(
        "SELECT p.id, pp.price_cents FROM pizzas p "
        "JOIN pizza_prices pp ON pp.pizza_id = p.id WHERE p.slug = :slug AND pp.size = :size",
        {"slug": slug, "size": size},
    ).fetchone()
    if price is None:
        return "Unknown pizza.", 400
    cur = db.execute(
        "INSERT INTO orders (user_id) VALUES (:user_id)", {"user_id": session.get("user_id")}
    )
    order_id = cur.lastrowid
    db.execute(
        "INSERT INTO order_items (order_id, pizza_id, size, quantity, unit_price_cents) "
        "VALUES (:order_id, :pizza_id, :size, :quantity, :price)",
        {
            "order_id": order_id,
            "pizza_id": price["id"],
            "size": size,
            "quantity": quantity,
            "price": price["price_cents"],
        },
    )
    db.commit()
    session["order_id"] = order_id
    return redirect(url_for("success"))


@app.get("/success")
def success() -> Response | str:
    """Confirm the order remembered in the session."""
    order_id = session.get("order_id")
    items = load_order(order_id) if order_id is not None else []
    if not items:
        return redirect(url_for("index"))
    return render_template("success.html", order_id=order_id, items=items)


@app.route("/register", methods=["GET", "POST"])
def register() -> Response | str | tuple[str, int]:
    """Create an account and log it in."""
    if request.method == "GET":
        return render_template("register.html")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        return render_template("register.html", error="Username and password are required."), 400
    db = get_db()
    try:
        cur = db.execute(
            "INSERT INTO users (username, password_hash) VALUES (:username, :password_hash)",
            {"username": username, "password_hash": generate_password_hash(password)},
        )
        db.commit()
    except sqlite3.IntegrityError:
        return render_template("register.html", error=f"User {username} is taken."), 409
    assert cur.lastrowid is not None
    start_session(cur.lastrowid, username)
    return redirect(url_for("dashboard"))


@app.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Check the credentials and log the user in."""
    if request.method == "GET":
        return render_template("login.html")
    username = request.form.get("username", "").strip()
    user = (
        get_db()
        .execute(
            "SELECT id, username, password_hash FROM users WHERE username = :username",
            {"username": username},
        )
        .fetchone()
    )
    if user is None or not check_password_hash(
        user["password_hash"], request.form.get("password", "")
    ):
        return render_template("login.html", error="Incorrect username or password."), 401
    start_session(user["id"], user["username"])
    return redirect(url_for("dashboard"))


@app.post("/logout")
def logout() -> Response:
    """Forget the session."""
    session.clear()
    return redirect(url_for("index"))


@app.get("/dashboard")
def dashboard() -> Response | str:
    """Show the account, the last order and the recent order history."""
    user_id = session.get("user_id")
    if user_id is None:
        return redirect(url_for("login"))
    order_id = session.get("order_id")
    last_order = load_order(order_id) if order_id is not None else []
    orders = (
        get_db()
        .execute(
            "SELECT o.id, o.created_at, SUM(i.quantity * i.unit_price_cents) AS total_cents "
            "FROM orders o JOIN order_items i ON i.order_id = o.id "
            "WHERE o.user_id = :user_id GROUP BY o.id ORDER BY o.id DESC LIMIT 50",
            {"user_id": user_id},
        )
        .fetchall()
    )
    return render_template("dashboard.html", user_id=user_id, last_order=last_order, orders=orders)


@app.get("/orders/<int:order_id>")
def show_order(order_id: int) -> str:
    """Show one order to its owner (or, for guests, the order in the session)."""
    items = load_order(order_id)
    if not items:
        abort(404)
    user_id = session.get("user_id")
    owner = items[0]["user_id"]
    if user_id is not None:
        allowed = owner == user_id
    else:
        allowed = session.get("order_id") == order_id
    if not allowed:
        abort(404)
    return render_template("order.html", order_id=order_id, items=items)


@app.get("/healthz")
def healthz() -> str:
    """Check that the database answers."""
    get_db().execute("SELECT 1").fetchone()
    return "ok"


init_db(app.config["DATABASE"])
