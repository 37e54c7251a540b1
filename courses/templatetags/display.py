"""Template helpers for data as the files hold it: readable numbers, ISO dates, charts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.safestring import SafeString

from courses.services.charts import chart_svg, format_number
from courses.services.spec_errors import display_path

register = template.Library()


@register.filter
def number(value: Any) -> str:
    """``188.66666666666666`` → ``188.67``, ``1234567`` → ``1,234,567``; text stays as is."""
    return format_number(value)


@register.filter
def iso(value: Any) -> str:
    """A date or time as in the files (``2022-10-30``, ``2022-10-30 14:05``), never localised."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


@register.filter
def cell(value: Any) -> str:
    """A data cell: ∅ for NULL, true/false, numbers readable, dates ISO, text unchanged."""
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    return iso(value)


@register.filter
def spec_path(path: Any) -> str:
    """A spec path as the instructor counts: ``checks.1.query`` → ``check 2 › query``."""
    return display_path(str(path or ""))


@register.simple_tag
def chart(summary: dict[str, Any], table: str = "") -> SafeString:
    """The small SVG chart of one column summary (see ``courses.services.charts``)."""
    return chart_svg(summary or {}, table=table)


@register.inclusion_tag("courses/_er_diagram.html")
def er_diagram(version: Any) -> dict[str, Any]:
    """The ER diagram of a spec version (a ``SpecVersion``), for pages whose view lacks one."""
    from courses.services.diagrams import spec_diagram

    if version is None:
        return {"diagram": None}
    return {"diagram": spec_diagram(version.document, sha256=version.sha256)}
