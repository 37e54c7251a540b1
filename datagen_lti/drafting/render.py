"""Readable YAML for a drafted spec (headed by a comment with the objectives and rationale)
and for its questions."""

from __future__ import annotations

import datetime as dt
import textwrap
from typing import Any

import yaml

from datagen_lti.grading.questions import QuestionSet
from datagen_lti.synth import Spec

COMMENT_WIDTH = 88
_FLOW_MAX_CHARS = 80  # short mappings and lists stay on one line, as in the example specs
# A question's fields in the order the example question files use.
_QUESTION_ORDER = (
    "id",
    "prompt",
    "type",
    "points",
    "abs_tol",
    "rel_tol",
    "ordered",
    "accept",
    "params",
    "reference_sql",
    "flaw_key",
    "explanation",
)
_LONG_TEXT_KEYS = {"prompt", "query", "reference_sql", "explanation"}


def header_comment(objectives: str, rationale: str) -> str:
    """A YAML comment block giving the objectives and why the draft looks the way it does."""
    lines = ["Drafted from these learning objectives:"]
    for paragraph in _printable(objectives).splitlines():
        lines += textwrap.wrap(
            paragraph, COMMENT_WIDTH - 4, initial_indent="  ", subsequent_indent="  "
        ) or [""]
    lines.append("")
    # The rationale's own lines (a list of properties) stay lines; each is wrapped.
    for number, line in enumerate(_printable(rationale).splitlines() or [""]):
        text = ("Why this draft: " if number == 0 else "") + line.strip()
        indent = "  " if text.startswith("- ") else ""
        lines += textwrap.wrap(text, COMMENT_WIDTH - 2, subsequent_indent=indent) or [""]
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def _printable(text: str) -> str:
    """Keep line breaks as newlines and make every other unprintable character a space.

    YAML ends a comment at U+2028, U+0085 and carriage returns, and rejects
    control characters outright: either would let text escape its comment.
    """
    text = "\n".join(text.splitlines())
    return "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)


def spec_yaml(spec: Spec) -> str:
    """The spec as YAML with name-keyed tables and columns and defaults left out."""
    data = spec.model_dump(mode="json", exclude_defaults=True)
    data["tables"] = {table.pop("name"): _table(table) for table in data["tables"]}
    for key in ("checks", "flaws"):
        if key in data:
            data[key] = [_described_first(item) for item in data[key]]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def questions_yaml(questions: QuestionSet, *, comment: str = "") -> str:
    """The questions as YAML (``questions:`` and a list), defaults left out; "" when empty."""
    if not questions.questions:
        return ""
    data = questions.model_dump(mode="json", exclude_defaults=True)
    items = [_question(item) for item in data.get("questions", [])]
    text = yaml.dump(
        {"questions": items}, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    head = "".join(
        f"# {line}".rstrip() + "\n"
        for line in textwrap.wrap(_printable(comment), COMMENT_WIDTH - 2)
    )
    return head + text


def _question(item: dict[str, Any]) -> dict[str, Any]:
    ordered = {key: item.pop(key) for key in _QUESTION_ORDER if key in item}
    ordered.update(item)
    for param in ordered.get("params", []):
        param["query"] = _block(param["query"])
    for key in _LONG_TEXT_KEYS & ordered.keys():
        ordered[key] = _block(ordered[key])
    return ordered


class _Block(str):
    """Text written as a literal block: SQL and long prompts read best on lines of their own."""


def _block(text: str) -> str:
    return _Block(text) if "\n" in text or len(text) > _FLOW_MAX_CHARS else text


def _table(table: dict[str, Any]) -> dict[str, Any]:
    table["columns"] = {column.pop("name"): _column(column) for column in table["columns"]}
    # Columns and constraints read best after the table's own settings.
    for key in ("columns", "constraints"):
        if key in table:
            table[key] = table.pop(key)
    return table


def _column(column: dict[str, Any]) -> dict[str, Any]:
    # Unquoted dates read like the example specs; only a date column's range holds them.
    for key in ("start", "end"):
        if column.get("type") in ("date", "timestamp") and isinstance(column.get(key), str):
            column[key] = dt.date.fromisoformat(column[key])
    ordered = {"type": column.pop("type")}
    description = column.pop("description", None)
    ordered.update(column)
    if description is not None:
        ordered["description"] = description
    return ordered


def _described_first(item: dict[str, Any]) -> dict[str, Any]:
    # What a check or flaw is for reads best right after its kind.
    head = {"kind": item.pop("kind")}
    if "description" in item:
        head["description"] = item.pop("description")
    return {**head, **item}


class _Dumper(yaml.SafeDumper):
    """Block style for structure, flow style for short leaves, literal blocks for long text."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as hand-written YAML does.
        return super().increase_indent(flow, False)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _is_short(data: Any) -> bool:
    return len(yaml.safe_dump(data, default_flow_style=True, width=10_000)) <= _FLOW_MAX_CHARS


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    # SQL and expressions read best on a line of their own.
    flow = (
        not ({"query", "expression", "prompt", "reference_sql"} & data.keys())
        and all(
            _is_scalar(v) or (isinstance(v, list) and all(_is_scalar(x) for x in v))
            for v in data.values()
        )
        and _is_short(data)
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(_is_scalar(x) for x in data) and _is_short(data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _represent_block(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style="|")


def _represent_float(dumper: yaml.SafeDumper, data: float) -> yaml.Node:
    # 51 rather than 51.0: the model turns it back into a float on loading.
    if data.is_integer() and abs(data) < 1e15:
        return dumper.represent_int(int(data))
    return dumper.represent_float(data)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Block, _represent_block)
_Dumper.add_representer(float, _represent_float)
