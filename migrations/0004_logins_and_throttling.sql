-- Logins you can take back: the session cookie holds a random token whose SHA-256 is a row
-- here. Logging out deletes the row, so a copied cookie is anonymous afterwards.
CREATE TABLE logins (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_seen_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    user_agent TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX logins_by_user ON logins (user_id);

-- Failed logins and registrations, counted per username and per client address in a time
-- window, so that every worker (and host) applies the same limits.
CREATE TABLE auth_attempts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('login_failure', 'registration')),
    username TEXT COLLATE NOCASE,
    client TEXT NOT NULL,
    at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
) STRICT;

CREATE INDEX auth_attempts_by_username ON auth_attempts (kind, username, at);
CREATE INDEX auth_attempts_by_client ON auth_attempts (kind, client, at);
CREATE INDEX auth_attempts_by_time ON auth_attempts (at);

-- Idempotency keys belong to their owner ('u:<user id>' or 'g:<guest key>'): another
-- customer's key is simply another key. Keys older than a day are forgotten (by the code).
ALTER TABLE orders ADD COLUMN idempotency_owner TEXT;
UPDATE orders
   SET idempotency_owner = CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id
                                ELSE 'g:' || guest_key END
 WHERE idempotency_key IS NOT NULL;
DROP INDEX orders_by_idempotency_key;
CREATE UNIQUE INDEX orders_by_owner_idempotency_key ON orders (idempotency_owner, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
