"""The shop's data on PostgreSQL through asyncpg; so far only its migrations."""
