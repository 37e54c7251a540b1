"""The error every exporter raises for input it cannot turn into a file."""


class ExportError(Exception):
    """A dataset could not be exported; the message says what to do instead.

    ``fmt`` names the format being written when the error arose in one (e.g. "xlsx"),
    so a caller writing several formats can leave that one out and go on.
    """

    fmt: str | None = None
