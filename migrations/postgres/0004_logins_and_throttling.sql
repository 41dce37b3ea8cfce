-- PostgreSQL twin of ../0004_logins_and_throttling.sql.

-- Logins you can take back: the session cookie holds a random token whose SHA-256 is a row
-- here. Logging out deletes the row, so a copied cookie is anonymous afterwards.
CREATE TABLE logins (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash text NOT NULL UNIQUE,
    user_id bigint NOT NULL REFERENCES users (id),
    created_at text COLLATE "C" NOT NULL
        DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    last_seen_at text COLLATE "C" NOT NULL
        DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    user_agent text NOT NULL DEFAULT ''
);

CREATE INDEX logins_by_user ON logins (user_id);

-- Failed logins and registrations, counted per username and per client address in a time
-- window, so that every worker (and host) applies the same limits.
CREATE TABLE auth_attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('login_failure', 'registration')),
    -- Compared without case, as SQLite's COLLATE NOCASE did: queries use lower(username),
    -- which is what the index below holds.
    username text,
    client text NOT NULL,
    at text COLLATE "C" NOT NULL
        DEFAULT to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
);

CREATE INDEX auth_attempts_by_username ON auth_attempts (kind, lower(username), at);
CREATE INDEX auth_attempts_by_client ON auth_attempts (kind, client, at);
CREATE INDEX auth_attempts_by_time ON auth_attempts (at);

-- Idempotency keys belong to their owner ('u:<user id>' or 'g:<guest key>'): another
-- customer's key is simply another key. Keys older than a day are forgotten (by the code).
ALTER TABLE orders ADD COLUMN idempotency_owner text;
UPDATE orders
   SET idempotency_owner = CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id
                                ELSE 'g:' || guest_key END
 WHERE idempotency_key IS NOT NULL;
DROP INDEX orders_by_idempotency_key;
CREATE UNIQUE INDEX orders_by_owner_idempotency_key ON orders (idempotency_owner, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
