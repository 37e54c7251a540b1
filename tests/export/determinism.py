"""Write every format of the shop dataset and print one checksum per file (run as a script)."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

from datagen_lti.export import FORMATS, file_checksums, write_bundle, write_csv, write_format
from tests.export.fixtures import shop_source


def xlsx_cells(path: Path) -> str:
    """A digest of every cell value of a workbook."""
    import hashlib

    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    digest = hashlib.sha256()
    for sheet in book.worksheets:
        digest.update(sheet.title.encode())
        for row in sheet.iter_rows(values_only=True):
            digest.update(repr(row).encode())
    book.close()
    return digest.hexdigest()


def export_checksums(out: Path) -> dict[str, str]:
    """Checksums of every loose file and of the bundle, plus the xlsx cell content."""
    source = shop_source()
    paths = [p for fmt in FORMATS for p in write_format(source, fmt, out / "loose")]
    paths += write_csv(source, out / "csv")
    bundle = write_bundle(source, formats=FORMATS, out_dir=out / "bundle")
    checksums = file_checksums([*paths, bundle])
    (xlsx,) = [p for p in paths if p.suffix == ".xlsx"]
    checksums["xlsx cells"] = xlsx_cells(xlsx)
    with zipfile.ZipFile(bundle) as archive:
        checksums["bundle entries"] = ",".join(archive.namelist())
    return checksums


if __name__ == "__main__":
    print(json.dumps(export_checksums(Path(sys.argv[1])), sort_keys=True))
