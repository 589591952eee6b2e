"""The errors services raise for a front door to show: a request they cannot carry out as asked
(``OperationError``: the API's 422, one line) and a missing object (``NotFound``: 404)."""

from __future__ import annotations


class OperationError(ValueError):
    """A request the operation cannot carry out as asked (bad filter, bad body); one line."""


class NotFound(LookupError):
    """The asset (or other object) asked for does not exist."""
