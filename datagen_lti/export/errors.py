"""The error every exporter raises for input it cannot turn into a file."""


class ExportError(Exception):
    """A dataset could not be exported; the message says what to do instead."""
