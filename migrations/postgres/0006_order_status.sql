-- PostgreSQL twin of ../0006_order_status.sql.

-- Orders that move: each order's status, every change of it as a row of order_events (the
-- live streams' ids and their catch-up), and staff accounts who move orders along.
ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'placed'
    CHECK (status IN ('placed', 'preparing', 'baking', 'ready', 'completed', 'cancelled'));

CREATE INDEX orders_open ON orders (status, id)
    WHERE status NOT IN ('completed', 'cancelled');

CREATE TABLE order_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    status text NOT NULL
        CHECK (status IN ('placed', 'preparing', 'baking', 'ready', 'completed', 'cancelled')),
    at text COLLATE "C" NOT NULL
        DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    -- Who moved it: the customer (placed, cancelled), or a member of staff.
    actor text NOT NULL CHECK (actor IN ('customer', 'staff')),
    user_id bigint REFERENCES users (id)
);

CREATE INDEX order_events_by_order ON order_events (order_id, id);

-- Every order so far was placed when it was created.
INSERT INTO order_events (order_id, status, at, actor, user_id)
SELECT id, 'placed', created_at, 'customer', user_id FROM orders ORDER BY id;

ALTER TABLE users ADD COLUMN staff integer NOT NULL DEFAULT 0 CHECK (staff IN (0, 1));
