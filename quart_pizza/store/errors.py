"""Errors of the store that are no fault of the request (the views answer 503)."""


class StoreUnavailableError(RuntimeError):
    """The database could not take the work (closed, locked too long, or failing)."""


class NotStaffError(PermissionError):
    """Only staff may do that (a 403)."""
