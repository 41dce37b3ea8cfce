"""Customer accounts."""

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: int
    username: str
    password_hash: str


class UsernameTakenError(Exception):
    """Another account already has this username (compared case-insensitively)."""
