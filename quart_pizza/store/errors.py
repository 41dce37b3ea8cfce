"""Errors of the store the views answer for: the database unavailable (503), staff only (403)."""


class StoreUnavailableError(RuntimeError):
    """The database could not take the work (closed, locked too long, or failing)."""


class NotStaffError(Exception):  # not a PermissionError: that is an OSError, a network fault
    """Only staff may do that (a 403)."""
