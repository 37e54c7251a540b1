"""Load a spec from YAML or JSON text, turning every problem into a ``SpecError``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

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
    """Parse YAML or JSON text into plain Python data."""
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
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(
                f"(line {exc.lineno}, column {exc.colno})",
                f"malformed JSON: {exc.msg}",
                "fix the JSON syntax",
            ) from exc
    try:
        # SafeLoader never constructs Python objects; aliases are bounded below.
        return yaml.load(text, Loader=_BoundedLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"(line {mark.line + 1}, column {mark.column + 1})" if mark else "(document)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(where, f"malformed YAML: {problem}", "fix the YAML syntax") from exc


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader that refuses alias bombs (billion laughs)."""

    def compose_node(self, parent, index):  # type: ignore[override]
        self._nodes = getattr(self, "_nodes", 0) + 1
        if self._nodes > 200_000:
            raise yaml.YAMLError("the document has too many nodes")
        return super().compose_node(parent, index)


def spec_from_data(data: Any, *, limits: SpecLimits = DEFAULT_LIMITS) -> Spec:
    """Validate already-parsed data into a ``Spec``."""
    if not isinstance(data, dict):
        raise SpecError(
            "(document)",
            "the spec must be a mapping at the top level",
            "start with spec_version: 1",
        )
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
