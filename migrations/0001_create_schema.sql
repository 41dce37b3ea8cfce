-- Users, the menu, and orders with their items. Money is integer cents, times are UTC text
-- in ISO 8601 (e.g. 2026-11-25T19:45:12.123Z), ids are SQLite rowids.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- NOCASE: "Alice" and "alice" are the same account.
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE TABLE pizzas (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE CHECK (slug GLOB '[a-z0-9]*' AND slug NOT GLOB '*[^a-z0-9-]*'),
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE pizza_prices (
    pizza_id INTEGER NOT NULL REFERENCES pizzas (id),
    size TEXT NOT NULL CHECK (size IN ('small', 'medium', 'large')),
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    PRIMARY KEY (pizza_id, size)
) STRICT, WITHOUT ROWID;

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    -- A customer's order has user_id; a guest's has the random guest_key from their session
    -- until they log in and the order is claimed.
    user_id INTEGER REFERENCES users (id),
    guest_key TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((user_id IS NULL) <> (guest_key IS NULL))
) STRICT;

CREATE INDEX orders_by_user ON orders (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX orders_by_guest ON orders (guest_key) WHERE guest_key IS NOT NULL;

CREATE TABLE order_items (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    pizza_id INTEGER NOT NULL REFERENCES pizzas (id),
    size TEXT NOT NULL CHECK (size IN ('small', 'medium', 'large')),
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 20),
    -- The price when the order was placed: later menu changes do not alter old orders.
    unit_price_cents INTEGER NOT NULL CHECK (unit_price_cents > 0)
) STRICT;

CREATE INDEX order_items_by_order ON order_items (order_id);
