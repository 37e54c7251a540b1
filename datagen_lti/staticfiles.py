"""Production static files storage that never turns a missing manifest into a 500."""

from __future__ import annotations

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

NOT_COLLECTED = (
    "Static files are not collected (%s is missing): linking them by their plain names, "
    "served from the app folders. Run `python manage.py collectstatic --no-input` for "
    "hashed, compressed, long-cached files."
)
NOT_IN_MANIFEST = (
    "%s is not in the static files manifest (collected before it was added?): linking it "
    "by its plain name. Run `python manage.py collectstatic --no-input` again."
)


class ManifestOrPlainStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed files, with plain names for what was not collected.

    Manifest storage raises for a name missing from ``staticfiles.json``, so with
    ``DJANGO_DEBUG=0`` and no collectstatic every page linking a stylesheet would
    answer 500. Instead the page links the file by its own name and the log says
    to run collectstatic; until then WhiteNoise serves the app folders
    (``WHITENOISE_USE_FINDERS`` in settings). collectstatic itself is unchanged.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._reported: set[str] = set()

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # "Missing staticfiles manifest entry for ..."
            if not self.hashed_files:
                self._warn_once("", NOT_COLLECTED, self.path(self.manifest_name))
            else:
                self._warn_once(name, NOT_IN_MANIFEST, name)
            return name

    def _warn_once(self, key: str, message: str, *args: str) -> None:
        if key not in self._reported:
            self._reported.add(key)
            logger.warning(message, *args)
