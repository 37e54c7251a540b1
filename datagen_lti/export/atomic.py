"""Temp-then-rename writes, so no half-written file ever carries its final name."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from datagen_lti.export.errors import ExportError


def prepare_out_dir(out_dir: Path) -> Path:
    """Create ``out_dir`` if needed and fail early, with advice, if it is not writable."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # os.access is not enough (root, ACLs, read-only mounts): try a real file.
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=out_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise ExportError(
            f"Cannot write to the output folder {out_dir}: {error.strerror or error}. "
            "Choose a folder you can write to (for the CLI: --out DIR) or fix its permissions."
        ) from error
    return out_dir


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; rename it to ``final`` only on success."""
    final = Path(final)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a download should be readable
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
