"""JSON Schemas of the spec: pydantic's, and a strict variant for LLM structured output."""

from __future__ import annotations

import copy
from typing import Any


def strict_schema(schema: dict) -> dict:
    """Rewrite a JSON Schema for strict structured outputs.

    Every object lists all its properties as required (optional ones become
    nullable: a null means "use the default"), is closed, and unions use
    ``anyOf`` without a ``discriminator``; ``default`` values are dropped.
    """
    result = copy.deepcopy(schema)
    _rewrite(result)
    return result


def _rewrite(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite(item)
        return
    if not isinstance(node, dict):
        return
    node.pop("default", None)
    node.pop("discriminator", None)
    if "oneOf" in node:
        node["anyOf"] = node.pop("oneOf")
    if node.get("type") == "object" and "properties" in node:
        required = set(node.get("required", []))
        for name, prop in node["properties"].items():
            if name not in required:
                node["properties"][name] = _nullable(prop)
        node["required"] = list(node["properties"])
        node["additionalProperties"] = False
    for value in node.values():
        _rewrite(value)


def _nullable(prop: dict) -> dict:
    if "anyOf" in prop:
        if not any(option.get("type") == "null" for option in prop["anyOf"]):
            prop["anyOf"].append({"type": "null"})
        return prop
    if "type" in prop and "$ref" not in prop:
        kind = prop["type"]
        kinds = kind if isinstance(kind, list) else [kind]
        if "null" not in kinds:
            prop["type"] = [*kinds, "null"]
        if "enum" in prop and None not in prop["enum"]:
            prop["enum"] = [*prop["enum"], None]
        return prop
    description = prop.pop("description", None)
    wrapped: dict = {"anyOf": [prop, {"type": "null"}]}
    if description:
        wrapped["description"] = description
    return wrapped


def drop_nulls(data: Any) -> Any:
    """Remove null-valued keys (strict output's "use the default") throughout a document."""
    if isinstance(data, dict):
        return {key: drop_nulls(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [drop_nulls(item) for item in data]
    return data
