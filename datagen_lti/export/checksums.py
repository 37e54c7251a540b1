"""SHA-256 checksums recorded when a dataset is issued, to verify a later regeneration."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_checksums(paths: Iterable[Path]) -> dict[str, str]:
    """File name -> hex SHA-256, sorted by name."""
    return {Path(p).name: sha256_file(Path(p)) for p in sorted(paths, key=lambda p: Path(p).name)}
