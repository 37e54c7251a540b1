"""Any text survives every format: quotes, backslashes, line breaks, Unicode.

CSV and Excel are read back without formula escaping, and with it as escaped text.
"""

from __future__ import annotations

import sqlite3
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pyarrow as pa
import pyarrow.csv as pa_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datagen_lti.export import write_csv, write_sqlite, write_xlsx
from datagen_lti.export.formulas import escape_formula_text
from datagen_lti.export.sql import sql_text
from datagen_lti.synth.schema import Column, DatasetSchema, InMemorySource, Table

# Text a database stores: no NUL (PostgreSQL refuses it), no lone surrogates (not UTF-8).
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _source(values: list[str | None]) -> InMemorySource:
    table = Table("t", (Column("k", "integer", nullable=False), Column("s", "string")), ("k",))
    schema = DatasetSchema("Text", "t1", "h", "v", (table,))
    data = pa.table({"k": pa.array(range(len(values)), pa.int64()), "s": pa.array(values)})
    return InMemorySource(schema, {"t": data.cast(table.arrow_schema)}, batch_rows=7)


@SETTINGS
@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=20))
def test_sql_and_sqlite(values):
    source = _source(values)
    connection = sqlite3.connect(":memory:")
    connection.executescript(sql_text(source, "sqlite"))
    rows = connection.execute('SELECT s FROM "t" ORDER BY k').fetchall()
    assert [r[0] for r in rows] == values
    with tempfile.TemporaryDirectory() as out:
        database = write_sqlite(source, Path(out))
        stored = sqlite3.connect(database).execute('SELECT s FROM "t" ORDER BY k').fetchall()
        assert [r[0] for r in stored] == values


@SETTINGS
@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=20), st.booleans())
def test_csv(values, escape):
    with tempfile.TemporaryDirectory() as out:
        (path,) = write_csv(_source(values), Path(out), escape_formulas=escape)
        # Arrow's reader keeps quoted "" as empty text and reads unquoted empties as null.
        options = pa_csv.ConvertOptions(
            column_types={"s": pa.string()},
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        )
        data = pa_csv.read_csv(path, convert_options=options)
        if escape:
            values = [escape_formula_text(v) if v else v for v in values]
        expected = [v.replace("\r\n", "\n") if v else v for v in values]
        assert [v.replace("\r\n", "\n") if v else v for v in data.column("s").to_pylist()] == (
            expected
        )


@SETTINGS
@given(st.lists(st.one_of(st.none(), TEXT), min_size=1, max_size=20), st.booleans())
def test_xlsx(values, escape):
    with tempfile.TemporaryDirectory() as out:
        path = write_xlsx(_source(values), Path(out), escape_formulas=escape)
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.endswith((".xml", ".rels")):
                    ElementTree.fromstring(archive.read(name))  # well-formed XML
        sheet = openpyxl.load_workbook(path)["t"]
        cells = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        invalid = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]}
        invalid |= {"\ufffe", "\uffff"}
        expected = ["".join(ch for ch in v if ch not in invalid) if v else None for v in values]
        if escape:  # escaping looks at the text XML can carry: no control character hides "="
            expected = [escape_formula_text(v) if v else v for v in expected]
        assert [c or None for c in cells] == [e or None for e in expected]
