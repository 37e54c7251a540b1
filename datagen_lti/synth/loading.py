"""Load a spec from YAML or JSON text, turning every problem into a ``SpecError``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from datagen_lti.synth.documents import (
    MAX_DEPTH,
    MAX_INT_DIGITS,
    check_document,
    depth_error,
    json_depth,
    long_integer_error,
)
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.json_schema import drop_nulls
from datagen_lti.synth.limits import DEFAULT_LIMITS, SpecLimits
from datagen_lti.synth.spec import Spec
from datagen_lti.synth.validation import validate_spec

MAX_SPEC_BYTES = 2_000_000


def load_spec(text: str | bytes, *, limits: SpecLimits = DEFAULT_LIMITS) -> Spec:
    """Parse YAML or JSON (autodetected), validate, and return a ``Spec``."""
    data = parse_document(text)
    return spec_from_data(data, limits=limits)


def load_spec_file(path: str | Path, *, limits: SpecLimits = DEFAULT_LIMITS) -> Spec:
    """Read and load a spec file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SpecError("(file)", f"cannot read {path}: {exc.strerror}", "check the path") from exc
    return load_spec(raw, limits=limits)


def parse_document(text: str | bytes) -> Any:
    """Parse YAML or JSON text into plain Python data, within the limits of ``documents``.

    Size and nesting depth are bounded before anything is built; YAML anchors and
    aliases are refused outright (a few hundred bytes of aliases expand to gigabytes).
    """
    if isinstance(text, bytes):
        if len(text) > MAX_SPEC_BYTES:
            raise SpecError("(document)", "the spec is larger than 2 MB", "shorten it")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError("(document)", "the spec is not UTF-8 text", "save it as UTF-8") from exc
    if len(text) > MAX_SPEC_BYTES:
        raise SpecError("(document)", "the spec is larger than 2 MB", "shorten it")
    stripped = text.lstrip()
    data = _parse_json(text) if stripped.startswith(("{", "[")) else _parse_yaml(text)
    check_document(data)
    return data


def _parse_json(text: str) -> Any:
    if json_depth(text) > MAX_DEPTH:
        raise depth_error()
    try:
        return json.loads(text, parse_int=_json_int)
    except _LongInteger as exc:
        raise long_integer_error(_json_position(text, exc.digits)) from None
    except RecursionError:
        raise depth_error() from None
    except json.JSONDecodeError as exc:
        raise SpecError(
            f"(line {exc.lineno}, column {exc.colno})",
            f"malformed JSON: {exc.msg}",
            "fix the JSON syntax",
        ) from exc


class _LongInteger(ValueError):
    def __init__(self, digits: str) -> None:
        super().__init__(digits[:20])
        self.digits = digits


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _LongInteger(digits)
    return int(digits)


def _json_position(text: str, digits: str) -> str:
    offset = max(text.find(digits), 0)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f"(line {line}, column {column})"


def _parse_yaml(text: str) -> Any:
    try:
        # SafeLoader never constructs Python objects; the subclass bounds the rest.
        return yaml.load(text, Loader=_BoundedLoader)
    except _Refused as exc:
        raise SpecError(_yaml_position(exc.problem_mark), exc.problem, exc.hint) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(
            _yaml_position(mark), f"malformed YAML: {problem}", "fix the YAML syntax"
        ) from exc


def _yaml_position(mark) -> str:
    return f"(line {mark.line + 1}, column {mark.column + 1})" if mark else "(document)"


class _Refused(yaml.MarkedYAMLError):
    """A well-formed YAML document this tool will not load, with what to do instead."""

    def __init__(self, mark, problem: str, hint: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader without anchors or aliases, and with bounded nesting and numbers."""

    max_nodes = 200_000

    def compose_node(self, parent, index):  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                event.start_mark,
                "YAML anchors and aliases (&name, *name) are not accepted",
                "specs and questions never need them: write each value out in full",
            )
        self._nodes = getattr(self, "_nodes", 0) + 1
        if self._nodes > self.max_nodes:
            raise _Refused(event.start_mark, "the document has too many values", "shorten it")
        nested = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        depth = getattr(self, "_depth", 0) + nested
        if depth > MAX_DEPTH:
            error = depth_error()
            raise _Refused(event.start_mark, error.message, error.hint)
        self._depth = depth
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth - nested

    def construct_yaml_int(self, node):
        if sum(ch.isdigit() for ch in str(node.value)) > MAX_INT_DIGITS:
            error = long_integer_error("(document)")
            raise _Refused(node.start_mark, error.message, error.hint)
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise _Refused(node.start_mark, f"invalid date: {exc}", "use YYYY-MM-DD") from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)
_BoundedLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp
)


def spec_from_data(data: Any, *, limits: SpecLimits = DEFAULT_LIMITS) -> Spec:
    """Validate already-parsed data into a ``Spec``."""
    if not isinstance(data, dict):
        raise SpecError(
            "(document)",
            "the spec must be a mapping at the top level",
            "start with spec_version: 1",
        )
    check_document(data)
    # Strict structured output sends null for "use the default": treat it as absent.
    data = _normalise(drop_nulls(data))
    if "spec_version" not in data:
        raise SpecError("spec_version", "missing", "add `spec_version: 1` at the top")
    if data.get("spec_version") != 1:
        raise SpecError(
            "spec_version",
            f"unsupported version {data.get('spec_version')!r}",
            "this engine reads spec_version 1",
        )
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        raise _to_spec_error(exc, data) from None
    validate_spec(spec, limits=limits)
    return spec


def _normalise(data: dict) -> dict:
    """Turn name-keyed maps into named lists so error locations map to names."""
    data = dict(data)
    tables = data.get("tables")
    if isinstance(tables, dict):
        data["tables"] = [_named(name, body) for name, body in tables.items()]
    if isinstance(data.get("tables"), list):
        new_tables = []
        for table in data["tables"]:
            if isinstance(table, dict) and isinstance(table.get("columns"), dict):
                table = {
                    **table,
                    "columns": [_named(n, b) for n, b in table["columns"].items()],
                }
            new_tables.append(table)
        data["tables"] = new_tables
    return data


def _named(name: Any, body: Any) -> Any:
    if isinstance(body, dict):
        return {"name": name, **body}
    return body


def _to_spec_error(exc: ValidationError, data: Any) -> SpecError:
    """Pick the most useful pydantic error and express its location as a named path."""
    errors = exc.errors(include_url=False)
    # Prefer errors deeper in the document: they point at the actual value at fault.
    error = max(errors, key=lambda e: len(e["loc"]))
    if any(e["type"] == "union_tag_invalid" for e in errors):
        error = next(e for e in errors if e["type"] == "union_tag_invalid")
    path = _path(error["loc"], data)
    message = error["msg"]
    hint = _hint(error)
    if error["type"] == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        message = f"unknown {ctx.get('discriminator', 'type').strip(chr(39))} {ctx.get('tag')!r}"
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return SpecError(path, message, hint)


def _path(loc: tuple, data: Any) -> str:
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            name = None
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, dict) and isinstance(node.get("name"), str):
                    name = node["name"]
            else:
                node = None
            parts.append(name if name is not None else str(item))
            continue
        if isinstance(node, dict) and item in node:
            node = node[item]
            parts.append(str(item))
        elif isinstance(node, dict) and item in (node.get("type"), node.get("kind")):
            continue  # a discriminated union's tag, not a key of the document
        elif item.startswith(("function-", "tagged-union[")):
            continue
        else:
            node = None
            parts.append(str(item))
    return ".".join(parts) or "(spec)"


def _hint(error: dict) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"use one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return f"add `{ctx.get('discriminator', 'type').strip(chr(39))}`"
    if kind == "extra_forbidden":
        return "remove this key or check its spelling"
    if kind == "missing":
        return "add this field"
    if kind == "literal_error":
        return f"use {ctx.get('expected', 'an allowed value')}"
    if kind.startswith(("greater", "less")):
        return "change the number"
    if kind == "string_pattern_mismatch":
        return "use letters, digits and underscores, starting with a letter"
    return "fix the value"
