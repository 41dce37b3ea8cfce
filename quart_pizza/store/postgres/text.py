"""Text from requests, made storable: PostgreSQL's text cannot hold the NUL character, which
SQLite's can. A NUL is replaced by U+FFFD before it reaches a statement, so input carrying one
(a username, a pizza slug, a key, a user agent) matches nothing and stores as on SQLite,
instead of failing the statement."""

from typing import Final

NUL: Final = "\x00"
REPLACEMENT: Final = "\ufffd"


def storable(text: str) -> str:
    return text.replace(NUL, REPLACEMENT)


def storable_or_none(text: str | None) -> str | None:
    return None if text is None else storable(text)
