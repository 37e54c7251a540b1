"""Which SQL the sandbox accepts: one read-only SELECT, checked on DuckDB's own parse tree.

The functions a query calls are read from the parse tree, so comments and quoted names
do not hide them: table functions only from a short list, no system or file functions,
and the size arguments of value builders bounded. ``plain_error`` words DuckDB's errors
for the person who wrote the query.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from typing import Any

MAX_SQL_LENGTH = 5_000

_FILE_OR_SYSTEM = re.compile(
    r"\b(read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|copy|attach|install|load|export|import|"
    r"pragma|checkpoint|getenv|duckdb_\w+|pragma_\w+|which_secret|current_setting)\s*\(",
    re.IGNORECASE,
)


class QueryError(ValueError):
    """A query was refused or failed; ``message`` is worded for the person who wrote it.

    ``reason``: ``invalid`` (not one SELECT, or not allowed), ``failed`` (an error
    while running: unknown table, type mismatch...), ``timeout``, ``memory``,
    ``shape`` (wrong number of rows or columns for what was asked).
    """

    def __init__(self, message: str, *, reason: str = "failed") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def validate_select(query: str) -> str:
    """Return ``query`` (stripped) if it is one read-only SELECT; raise ``QueryError`` if not."""
    import duckdb

    text = (query or "").strip().rstrip(";").strip()
    if not text:
        raise QueryError("the query is empty; write one SELECT", reason="invalid")
    if len(text) > MAX_SQL_LENGTH:
        raise QueryError(
            f"the query is longer than {MAX_SQL_LENGTH:,} characters; shorten it", reason="invalid"
        )
    if "\x00" in text:
        raise QueryError("the query contains a NUL character; remove it", reason="invalid")
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise QueryError(f"the SQL does not parse: {plain_error(exc)}", reason="invalid") from exc
    if len(statements) != 1:
        raise QueryError(
            f"the text holds {len(statements)} statements; write exactly one SELECT",
            reason="invalid",
        )
    if statements[0].type != duckdb.StatementType.SELECT:
        kind = statements[0].type.name.replace("_STATEMENT", "").replace("_", " ")
        raise QueryError(
            f"only a SELECT is allowed, not {kind}; the data is read-only", reason="invalid"
        )
    match = _FILE_OR_SYSTEM.search(text)
    if match:
        raise QueryError(
            f"{match.group(1)}() is not allowed: a query reads only the dataset's tables",
            reason="invalid",
        )
    _check_parse_tree(text)
    return text


# --------------------------------------------------------------------------- the parse tree

# Table functions a query may read from; every other one (file readers, ``query`` and
# ``json_execute_serialized_sql``, which run SQL given as text past these checks,
# ``destroy_external_resource``, which calls any table function by name...) is refused.
TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree"})
_SYSTEM_NAME = re.compile(
    r"read_\w+|\w+_scan|glob|sniff_csv|parquet_\w+|copy|attach|install|load|export|import|"
    r"pragma|pragma_\w+|\w*checkpoint|getenv|duckdb_\w+|which_secret|current_setting|"
    r"query|query_table|json_execute_serialized_sql|\w*external_resource\w*|\w*_logging|"
    r"\w*_profiling|\w*grammar_extension|python_\w+|write_log",
    re.IGNORECASE,
)
_SYSTEM_VIEW = re.compile(r"duckdb_\w+|pg_settings", re.IGNORECASE)
# One call of these builds a value as large as an argument asks for, outside DuckDB's
# memory limit and without looking at the interrupt: on DuckDB 2.0.1 with a 1 s limit,
# ``SELECT len(range(300000000))`` ran for 50 s and took 14 GB. Their sizes must be
# literals within these bounds (as tables, ``range`` and ``generate_series`` stream and
# stop on time, so they are free there).
MAX_BUILT_ITEMS = 10_000
MAX_FORMAT_WIDTH = 99
_LIST_BUILDERS = frozenset({"range", "generate_series"})
_SIZE_ARGUMENT = {"lpad": "width", "rpad": "width", "list_resize": "size", "array_resize": "size"}
_FORMATTERS = frozenset({"printf", "format"})

_parsers: dict[int, Any] = {}
_parsers_lock = threading.Lock()


def _parse_tree(text: str) -> dict:
    """DuckDB's parse tree of one SELECT, as JSON (parsed only: nothing is bound or run)."""
    import duckdb

    with _parsers_lock:
        parser = _parsers.get(os.getpid())
        if parser is None:
            parser = duckdb.connect(
                ":memory:",
                config={
                    "enable_external_access": False,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                    "lock_configuration": True,
                },
            )
            _parsers[os.getpid()] = parser
        try:
            serialized = parser.execute("SELECT json_serialize_sql($1::VARCHAR)", [text]).fetchone()
        except duckdb.Error as exc:
            raise QueryError(
                f"the query could not be checked: {plain_error(exc)}", reason="invalid"
            ) from exc
    tree = json.loads(serialized[0])
    if tree.get("error"):
        message = str(tree.get("error_message") or "unsupported syntax")
        raise QueryError(f"the query could not be checked: {message}", reason="invalid")
    return tree


def _check_parse_tree(text: str) -> None:
    """Refuse table functions off the list, system functions and unbounded value builders."""
    stack: list[Any] = [_parse_tree(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if node.get("type") == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
            function = node["function"]
            name = str(function.get("function_name", "")).lower()
            if name not in TABLE_FUNCTIONS:
                raise QueryError(
                    f"{name}() is not allowed: a query reads only the dataset's tables",
                    reason="invalid",
                )
            stack.append(function.get("arguments"))
            stack.extend(value for key, value in node.items() if key != "function")
            continue
        if node.get("type") == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            if _SYSTEM_VIEW.fullmatch(name):
                raise QueryError(
                    f"{name} is not allowed: a query reads only the dataset's tables",
                    reason="invalid",
                )
        if node.get("class") in ("FUNCTION", "WINDOW") and "function_name" in node:
            _check_call(str(node["function_name"]).lower(), _arguments(node))
        stack.extend(node.values())


_CATALOGS = frozenset({"", "system", "temp", "memory"})
_SCHEMAS = frozenset({"", "main", "pg_catalog", "information_schema"})


def _arguments(node: dict) -> list[Any]:
    """A call's arguments; ``x.f(a)`` parses as ``f(a)`` in schema ``x`` and means ``f(x, a)``."""
    arguments = [
        argument.get("expression") if isinstance(argument, dict) else argument
        for argument in node.get("arguments") or node.get("children") or []
    ]
    qualifier = (str(node.get("catalog") or "").lower(), str(node.get("schema") or "").lower())
    if qualifier[0] not in _CATALOGS or qualifier[1] not in _SCHEMAS:
        arguments.insert(0, None)  # the column the method is called on: never a literal
    return arguments


def _check_call(name: str, arguments: list[Any]) -> None:
    if _SYSTEM_NAME.fullmatch(name):
        raise QueryError(
            f"{name}() is not allowed: a query reads only the dataset's tables", reason="invalid"
        )
    if name in _LIST_BUILDERS:
        bounds = [_literal_int(a) for a in arguments]
        items = _series_length(name, bounds) if None not in bounds else None
        if items is None or items > MAX_BUILT_ITEMS:
            raise QueryError(
                f"{name}() as a value needs whole-number literals and at most "
                f"{MAX_BUILT_ITEMS:,} items; for more, use it as a table: "
                f"SELECT * FROM {name}(...)",
                reason="invalid",
            )
    elif name in _SIZE_ARGUMENT:
        size = _literal_int(arguments[1]) if len(arguments) > 1 else None
        if size is None or size > MAX_BUILT_ITEMS:
            raise QueryError(
                f"{name}() needs a literal {_SIZE_ARGUMENT[name]} of at most {MAX_BUILT_ITEMS:,}",
                reason="invalid",
            )
    elif name == "repeat":
        text = _literal_text(arguments[0]) if arguments else None
        count = _literal_int(arguments[1]) if len(arguments) > 1 else None
        if text is None or count is None or len(text) * count > MAX_BUILT_ITEMS:
            raise QueryError(
                f"repeat() needs a literal text and count, at most {MAX_BUILT_ITEMS:,} "
                "characters in all",
                reason="invalid",
            )
    elif name in _FORMATTERS:
        pattern = _literal_text(arguments[0]) if arguments else None
        if pattern is None or not _bounded_format(pattern):
            raise QueryError(
                f"{name}() needs a literal format string with widths and precisions of at "
                f"most {MAX_FORMAT_WIDTH}",
                reason="invalid",
            )


def _literal(node: Any, kinds: tuple[str, ...]) -> str | None:
    if isinstance(node, dict) and node.get("class") == "CONSTANT":
        literal = node.get("literal") or {}
        if literal.get("kind") in kinds:
            return str(literal.get("text", ""))
    return None


def _literal_int(node: Any) -> int | None:
    text = _literal(node, ("INTEGER", "NUMERIC"))
    try:
        number = float(text.replace("_", "")) if text is not None else math.nan
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def _literal_text(node: Any) -> str | None:
    return _literal(node, ("STRING",))


def _series_length(name: str, bounds: list[int]) -> int | None:
    if len(bounds) == 1:
        start, stop, step = 0, bounds[0], 1
    elif len(bounds) == 2:
        start, stop, step = bounds[0], bounds[1], 1
    elif len(bounds) == 3:
        start, stop, step = bounds
    else:
        return None
    if step == 0:
        return None
    if name == "generate_series":  # inclusive of its stop
        stop += 1 if step > 0 else -1
    return len(range(start, stop, step))


_PRINTF_SPEC = re.compile(r"%[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?")
_FORMAT_SPEC = re.compile(r"\{([^{}]*)\}")


def _bounded_format(pattern: str) -> bool:
    """Whether every width and precision in a printf or fmt pattern is a small literal."""
    for match in _PRINTF_SPEC.finditer(pattern):
        for part in match.groups():
            if part == "*" or (part and int(part) > MAX_FORMAT_WIDTH):
                return False
    unescaped = pattern.replace("{{", "").replace("}}", "")
    if re.search(r"\{[^{}]*\{", unescaped):  # a width taken from an argument: {:>{}}
        return False
    for match in _FORMAT_SPEC.finditer(unescaped):
        spec = match.group(1).partition(":")[2]
        if any(int(digits) > MAX_FORMAT_WIDTH for digits in re.findall(r"\d+", spec)):
            return False
    return True


_PREFIX = re.compile(r"^[A-Za-z ]+ Error:\s*", re.MULTILINE)


def plain_error(exc: BaseException) -> str:
    """DuckDB's message in plain words: first line, no error-class prefix, no caret lines."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    first = text.splitlines()[0]
    first = _PREFIX.sub("", first).strip()
    hint = ""
    did_you_mean = re.search(r'Did you mean "([^"]+)"', text)
    candidates = re.search(r"^Candidate bindings: (.+)$", text, re.MULTILINE)
    if did_you_mean:
        hint = f' (did you mean "{did_you_mean.group(1)}"?)'
    elif candidates and "Candidate bindings" not in first:
        hint = f" (similar names: {candidates.group(1).strip()})"
    replacements = [
        (r"^Table with name (\S+) does not exist!?", r"there is no table \1"),
        (r'^Referenced column "?([^"\s]+)"? not found in FROM clause!?', r"there is no column \1"),
        (
            r'^Values list "([^"]+)" does not have a column named "([^"]+)"',
            r"there is no column \2 in \1",
        ),
        (
            r"^Values were not provided for the following (?:prepared statement )?parameters: (.*)",
            r"missing parameter(s) \1",
        ),
        (r"^syntax error at or near (.*)", r"syntax error near \1"),
        (r"^syntax error at end of input", "the query ends too early"),
    ]
    for pattern, replacement in replacements:
        first, count = re.subn(pattern, replacement, first)
        if count:
            break
    first = first.replace("Candidate bindings:", "similar names:")
    return (first + hint)[:500]
