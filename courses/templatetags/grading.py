"""Template helpers for questions: Markdown prompts without raw HTML, readable key values."""

from __future__ import annotations

import html
from typing import Any

import marko
from django import template
from django.utils.safestring import mark_safe
from marko.html_renderer import HTMLRenderer

register = template.Library()


class _EscapingRenderer(HTMLRenderer):
    """Markdown as HTML, with any raw HTML in the source shown as text, never run."""

    def render_html_block(self, element: Any) -> str:
        return html.escape(element.body)

    def render_inline_html(self, element: Any) -> str:
        return html.escape(element.children)

    def render_link(self, element: Any) -> str:
        if not str(element.dest).lower().startswith(("http://", "https://", "#", "/")):
            return self.render_children(element)
        return super().render_link(element)

    def render_image(self, element: Any) -> str:
        return html.escape(element.title or element.dest)


_markdown = marko.Markdown(renderer=_EscapingRenderer)


@register.filter
def markdown(text: str) -> str:
    """Render instructor-written Markdown safely (raw HTML is escaped; only web links)."""
    return mark_safe(_markdown.convert(text or ""))


@register.filter
def answer_display(value: Any) -> str:
    """A key or answer as a person reads it: numbers rounded sensibly, lists joined."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list):
        return ", ".join(answer_display(v) for v in value)
    if isinstance(value, dict) and "rows" in value:
        return f"{len(value['rows'])} row(s) × {len(value.get('columns') or [])} column(s)"
    return str(value)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``mapping|get_item:key`` for dicts whose keys are not identifiers."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def rows(value: Any) -> str:
    """A count with thousands separators: 200000 → 200,000."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
