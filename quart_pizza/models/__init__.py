"""The shop's data as dataclasses, and its rules; no SQL (that lives in the store)."""
