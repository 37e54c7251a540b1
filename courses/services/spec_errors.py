"""Spec errors as the editor shows them: the line at fault, plain words, a likely fix."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache

import yaml

from datagen_lti.synth import SpecError

# Lists in a spec whose items an instructor counts from 1 ("check 2", not "checks.1").
_COUNTED = {
    "checks": "check",
    "flaws": "flaw",
    "constraints": "constraint",
    "correlations": "correlation",
    "tables": "table",
    "columns": "column",
    "relationships": "relationship",
    "values": "value",
    "weights": "weight",
}
_POSITION = re.compile(r"^\(line (\d+), column (\d+)\)$")

# PyYAML's problems, worded for someone who has not read the YAML grammar.
_YAML_PROBLEMS = (
    (
        "mapping values are not allowed",
        "a colon (:) appears where YAML does not expect one; put text containing ': ' "
        "in quotes, or check the indentation of this line",
    ),
    (
        "expected ',' or ']'",
        "a [ … ] list is not closed, or an item in it needs quotes; check the brackets",
    ),
    (
        "expected ',' or '}'",
        "a { … } map is not closed, or a value in it needs quotes; check the braces",
    ),
    (
        "could not find expected ':'",
        "a line is missing the colon after its key (key: value), or a quotation mark is not closed",
    ),
    (
        "cannot start any token",
        "this line starts with a character YAML does not accept here (a tab? indent with "
        "spaces only; a ` or @? put the text in quotes)",
    ),
    (
        "did not find expected key",
        "this line is not indented like the lines around it; line it up with its siblings",
    ),
    (
        "did not find expected '-' indicator",
        "an item of a list is not indented like the other items",
    ),
    ("found unexpected end of stream", "a quotation mark or bracket is never closed"),
    (
        "found duplicate anchor",
        "anchors (&name) are not accepted; write each value out in full",
    ),
)


@dataclass(frozen=True)
class EditorError:
    """A spec error as the editor shows it."""

    path: str  # as the instructor reads it: "check 2 › query"
    message: str
    hint: str
    line: int | None  # 1-based line of the source text, when it can be found
    suggestion: str = ""  # "did you mean 'category'?"


def editor_error(text: str, error: SpecError) -> EditorError:
    """Describe ``error`` for the editor of ``text``: line, plain words and a suggestion."""
    position = _POSITION.match(error.path)
    if position:
        line = int(position.group(1))
        message = plain_yaml_problem(error.message)
        return EditorError(
            path=f"line {line}, column {position.group(2)}",
            message=message,
            hint=error.hint,
            line=line,
        )
    message = error.message
    if message == "Extra inputs are not permitted":
        message = f"there is no setting '{error.path.rsplit('.', 1)[-1]}' here"
    return EditorError(
        path=display_path(error.path),
        message=message,
        hint=error.hint,
        line=line_of_path(text, error.path),
        suggestion=suggestion(text, error),
    )


def display_path(path: str) -> str:
    """``checks.1.query`` → ``check 2 › query``; paths without list indexes stay dotted."""
    parts = path.split(".")
    if not any(part.isdigit() for part in parts):
        return path
    shown: list[str] = []
    for part in parts:
        if part.isdigit() and shown and shown[-1] in _COUNTED:
            shown[-1] = f"{_COUNTED[shown[-1]]} {int(part) + 1}"
        elif part.isdigit():
            shown.append(f"item {int(part) + 1}")
        else:
            shown.append(part)
    return " › ".join(shown)


def plain_yaml_problem(message: str) -> str:
    """PyYAML's wording of a syntax error, replaced by what to look for."""
    for problem, words in _YAML_PROBLEMS:
        if problem in message:
            return f"the YAML cannot be read: {words}"
    return message


def line_of_path(text: str, path: str) -> int | None:
    """The 1-based line of the deepest node of ``path`` found in the YAML (or JSON) text.

    Name-keyed maps (``tables: {orders: …}``) and named lists (``- name: orders``) are
    both followed; a path that goes further than the document (a missing key) stops at
    the last node found, which is where the key belongs.
    """
    if not text or path.startswith("("):
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = None
    for part in path.split("."):
        found = _child(node, part)
        if found is None:
            break
        key_node, node = found
        line = (key_node or node).start_mark.line + 1
    return line


def _child(node: yaml.Node, part: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode):
        if part.isdigit():
            index = int(part)
            return (None, node.value[index]) if index < len(node.value) else None
        for item in node.value:
            if isinstance(item, yaml.MappingNode):
                for key, value in item.value:
                    if key.value == "name" and getattr(value, "value", None) == part:
                        return None, item
    return None


def suggestion(text: str, error: SpecError) -> str:
    """ "did you mean …?" for a misspelt key or an unknown type/kind, else ""."""
    unknown = re.match(r"unknown \w+ '([^']+)'", error.message)
    if unknown:
        allowed = re.findall(r"'([^']+)'", error.hint)
        return _closest(unknown.group(1), allowed)
    if error.message.startswith("Input should be "):
        value = _value_at(text, error.path)
        allowed = re.findall(r"'([^']+)'", error.message)
        return _closest(value, allowed) if value and allowed else ""
    if error.message == "Extra inputs are not permitted" and "." in error.path:
        parent, key = error.path.rsplit(".", 1)
        return _closest(key, _allowed_keys(_sibling_keys(text, parent) - {key}))
    return ""


def _value_at(text: str, path: str) -> str:
    """The scalar written at ``path``, or ""."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return ""
    for part in path.split("."):
        found = _child(node, part) if node is not None else None
        if found is None:
            return ""
        node = found[1]
    return node.value if isinstance(node, yaml.ScalarNode) else ""


def _closest(word: str, allowed: list[str] | set[str]) -> str:
    matches = difflib.get_close_matches(word, sorted(allowed), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else ""


def _sibling_keys(text: str, parent: str) -> set[str]:
    """The keys written next to the misspelt one."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return set()
    for part in parent.split("."):
        found = _child(node, part) if node is not None else None
        if found is None:
            return set()
        node = found[1]
    if not isinstance(node, yaml.MappingNode):
        return set()
    return {key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)}


def _allowed_keys(siblings: set[str]) -> set[str]:
    """Field names of every spec object that has all of ``siblings`` (the likely object)."""
    siblings = siblings - {"name"}  # a name-keyed map adds it
    allowed: set[str] = set()
    for properties in _spec_objects():
        if siblings <= properties:
            allowed |= properties
    return allowed


@cache
def _spec_objects() -> tuple[frozenset[str], ...]:
    from datagen_lti.synth.spec import Spec

    schema = Spec.model_json_schema()
    objects = [schema, *schema.get("$defs", {}).values()]
    return tuple(frozenset(o.get("properties", {})) for o in objects if o.get("properties"))
