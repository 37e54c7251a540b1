"""The error of a DDL import: a message in plain words naming the statement and line at fault."""

from __future__ import annotations


class DdlError(ValueError):
    """A DDL script cannot be turned into a spec; the message says where and what to do."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
