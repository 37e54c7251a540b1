"""SQLite database file: declared foreign keys, same data, a valid file."""

from __future__ import annotations

import sqlite3

from datagen_lti.export import write_sqlite
from datagen_lti.export.sql_dialects import get_dialect
from tests.export.checksum import digest_rows, select_all, source_digest


def test_database_file(shop, tmp_path):
    path = write_sqlite(shop, tmp_path)
    assert path.name == "cafe-shop-orders-l42-v1.sqlite"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    quote = get_dialect("sqlite").quote
    for table in shop.schema.tables:
        rows = connection.execute(select_all(table, quote)).fetchall()
        assert digest_rows(rows, table) == source_digest(shop, table), table.name
    declared = {
        (table.name, row[2], row[3])
        for table in shop.schema.tables
        for row in connection.execute(f"PRAGMA foreign_key_list({quote(table.name)})")
    }
    assert declared == {
        ("customers", "customers", "referrer_id"),
        ("order", "customers", "customer_id"),
        ("order line", "order", "order_id"),
        ("order line", "product", "sku"),
    }
    connection.execute("PRAGMA foreign_keys = ON")
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()
