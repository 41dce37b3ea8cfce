-- Orders that move: each order's status, every change of it as a row of order_events (the
-- live streams' ids and their catch-up), and staff accounts who move orders along.
ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'placed'
    CHECK (status IN ('placed', 'preparing', 'baking', 'ready', 'completed', 'cancelled'));

CREATE INDEX orders_open ON orders (status, id)
    WHERE status NOT IN ('completed', 'cancelled');

CREATE TABLE order_events (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders (id),
    status TEXT NOT NULL
        CHECK (status IN ('placed', 'preparing', 'baking', 'ready', 'completed', 'cancelled')),
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    -- Who moved it: the customer (placed, cancelled), or a member of staff.
    actor TEXT NOT NULL CHECK (actor IN ('customer', 'staff')),
    user_id INTEGER REFERENCES users (id)
) STRICT;

CREATE INDEX order_events_by_order ON order_events (order_id, id);

-- Every order so far was placed when it was created.
INSERT INTO order_events (order_id, status, at, actor, user_id)
SELECT id, 'placed', created_at, 'customer', user_id FROM orders ORDER BY id;

ALTER TABLE users ADD COLUMN staff INTEGER NOT NULL DEFAULT 0 CHECK (staff IN (0, 1));
