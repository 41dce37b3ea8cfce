-- PostgreSQL twin of ../0003_order_idempotency_keys.sql (the same SQL).
-- Idempotency keys for order creation: a client that retries with the same key gets the
-- order it already placed instead of a second one. The fingerprint (a hash of the items)
-- tells a retry from a reuse of the key for a different order.

ALTER TABLE orders ADD COLUMN idempotency_key TEXT;
ALTER TABLE orders ADD COLUMN request_fingerprint TEXT;

CREATE UNIQUE INDEX orders_by_idempotency_key ON orders (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
