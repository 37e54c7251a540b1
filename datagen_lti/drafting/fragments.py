"""Spec fragments that give every learner a property the lesson needs, each with its check.

One function per property in ``properties.PROPERTIES``. Each finds its place in the
template (the table or column the objectives name, else the best fitting one), adds or
tunes columns, flaws and tables, and adds the required check that guarantees the property
(tagged ``[property id]``). A function that finds no place returns an ``Outcome`` that
says why instead. They live in three modules: relationships, flaws, columns and time.
"""

from __future__ import annotations

from collections.abc import Callable

from datagen_lti.drafting.fragments_columns import (
    boolean_label,
    correlated_measures,
    correlation_range,
    date_span,
    seasonal_peak,
    ties,
    time_series_trend,
)
from datagen_lti.drafting.fragments_flaws import (
    duplicates,
    inconsistent_text,
    null_share,
    orphans,
    outliers,
    text_dates,
)
from datagen_lti.drafting.fragments_relations import (
    childless_parent,
    functional_dependency,
    hierarchy_depth,
    junction_repeats,
    unreferenced_row,
)
from datagen_lti.drafting.properties import Detected
from datagen_lti.drafting.workbench import Outcome, Workbench

Fragment = Callable[[Workbench, Detected, str], Outcome]

FRAGMENTS: dict[str, Fragment] = {
    "functional_dependency": functional_dependency,
    "correlated_measures": correlated_measures,
    "correlation_range": correlation_range,
    "unreferenced_row": unreferenced_row,
    "childless_parent": childless_parent,
    "hierarchy_depth": hierarchy_depth,
    "junction_repeats": junction_repeats,
    "orphans": orphans,
    "text_dates": text_dates,
    "duplicates": duplicates,
    "inconsistent_text": inconsistent_text,
    "outliers": outliers,
    "null_share": null_share,
    "ties": ties,
    "boolean_label": boolean_label,
    "time_series_trend": time_series_trend,
    "seasonal_peak": seasonal_peak,
    "date_span": date_span,
}
