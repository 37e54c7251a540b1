"""Deterministic zip archives: fixed timestamps, fixed permissions, sorted entries."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

from datagen_lti.export.atomic import atomic_path

# The earliest date a zip entry can carry; any constant keeps archives byte-identical.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Already-compressed formats gain nothing from deflate.
STORED_SUFFIXES = frozenset({".parquet", ".xlsx", ".zip"})
COPY_CHUNK = 1 << 20


def zip_entry(name: str, *, level: int | None = None) -> zipfile.ZipInfo:
    """A ZipInfo that carries nothing from the machine or the clock.

    ``level`` is the deflate level (1 fastest ... 9 smallest; None: zlib's default, 6).
    """
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    suffix = Path(name).suffix.lower()
    info.compress_type = zipfile.ZIP_STORED if suffix in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    if level is not None:
        # ZipFile.open(info, "w") reads the level from the ZipInfo: "compress_level"
        # from Python 3.13, "_compresslevel" before.
        if hasattr(zipfile.ZipInfo, "compress_level"):
            info.compress_level = level
        else:
            info._compresslevel = level
    info.create_system = 3  # Unix, whatever the host, so the attribute bits mean the same
    info.external_attr = 0o100644 << 16
    return info


def zip_members(files: Iterable[Path]) -> list[tuple[str, Path]]:
    """Files to archive at the zip's root, under their own names."""
    return [(path.name, path) for path in files]


def write_zip(out: Path, members: Iterable[tuple[str, Path]]) -> Path:
    """Write ``members`` (archive name, file on disk) into ``out``, streamed and sorted."""
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
        for name, path in sorted(members):
            info = zip_entry(name)
            with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
                shutil.copyfileobj(source, target, COPY_CHUNK)
    return out
