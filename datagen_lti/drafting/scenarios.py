"""The template scenarios and the keywords in learning objectives that point to each."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A keyword is a phrase; a trailing * on a word accepts any ending (join* matches joins, joining).
# Words every objective uses ("students", "course", "data", "query") point nowhere and are left out.
# Weights: 4-5 for a term that names the scenario's core skill, 2-3 for a strong hint,
# 1 for a domain word that only leans one way.
KEYWORDS: dict[str, dict[str, int]] = {
    "retail": {
        "join*": 2,
        "left join*": 3,
        "inner join*": 3,
        "outer join*": 3,
        "group by": 4,
        "grouping": 2,
        "aggregat*": 3,
        "having": 2,
        "sum": 1,
        "total*": 1,
        "revenue*": 2,
        "sales": 1,
        "customer*": 1,
        "order*": 1,
        "product*": 1,
        "shop*": 1,
        "retail*": 2,
        "e commerce": 2,
        "ecommerce": 2,
        "subquer*": 1,
    },
    "university": {
        "many to many": 5,
        "m n": 3,
        "n m": 3,
        "junction*": 4,
        "bridge table*": 4,
        "associative": 3,
        "link* table*": 3,
        "composite key*": 3,
        "natural key*": 2,
        "enrol*": 3,
        "enroll*": 3,
        "universit*": 2,
        "grade*": 1,
    },
    "hr_hierarchy": {
        "self join*": 5,
        "self referenc*": 5,
        "hierarch*": 4,
        "recursi*": 3,
        "manager*": 3,
        "org* chart*": 3,
        "organi* chart*": 3,
        "report* to": 2,
        "reporting line*": 2,
        "tree*": 2,
        "employee*": 1,
        "staff": 1,
        "hr": 1,
        "salar*": 1,
    },
    "hospital": {
        "time series": 5,
        "season*": 4,
        "date arithmetic": 4,
        "moving average*": 3,
        "rolling": 2,
        "date*": 2,
        "datetime*": 2,
        "timestamp*": 2,
        "time stamp*": 2,
        "month*": 2,
        "weekday*": 2,
        "day of week": 2,
        "trend*": 2,
        "temporal": 2,
        "datediff": 2,
        "week*": 1,
        "daily": 1,
        "quarter*": 1,
        "calendar*": 1,
        "interval*": 1,
        "duration*": 1,
        "length of stay": 2,
        "hospital*": 2,
        "patient*": 1,
        "visit*": 1,
    },
    "sensors": {
        "data clean*": 5,
        "clean*": 4,
        "missing value*": 4,
        "missing": 3,
        "imput*": 3,
        "duplicat*": 3,
        "dedup*": 3,
        "de dup*": 3,
        "outlier*": 3,
        "anomal*": 3,
        "inconsistent*": 3,
        "messy": 3,
        "dirty": 3,
        "wrangl*": 3,
        "data quality": 3,
        "orphan*": 3,
        "mixed date format*": 4,
        "date format*": 3,
        "typo*": 2,
        "whitespace": 2,
        "standardi*": 2,
        "sensor*": 2,
        "iot": 2,
        "null*": 1,
        "validat*": 1,
    },
    "housing": {
        "regression*": 5,
        "correlat*": 4,
        "linear model*": 4,
        "least squares": 4,
        "linear relation*": 3,
        "scatter*": 3,
        "residual*": 3,
        "r squared": 3,
        "r2": 2,
        "predict*": 2,
        "slope*": 2,
        "coefficient*": 2,
        "descriptive statistic*": 2,
        "real estate": 2,
        "statistic*": 1,
        "histogram*": 1,
        "distribution*": 1,
        "variance": 1,
        "standard deviation*": 1,
        "price*": 1,
        "hous*": 1,
    },
}

# The order breaks ties; the first is also the choice when no keyword matches.
SCENARIO_ORDER = tuple(KEYWORDS)
DEFAULT_SCENARIO = SCENARIO_ORDER[0]


@dataclass(frozen=True)
class Score:
    """How strongly the objectives point to one scenario, and the keywords that did it."""

    scenario: str
    points: int
    matched: tuple[str, ...]


def normalise(text: str) -> str:
    """Lower case, each run of punctuation or spaces made one space ("GROUP-BY" -> "group by")."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def score_objectives(objectives: str, scenarios: tuple[str, ...] = SCENARIO_ORDER) -> list[Score]:
    """Score each scenario; best first, ties in ``scenarios`` order."""
    text = f" {normalise(objectives)} "
    points = dict.fromkeys(scenarios, 0)
    matched: dict[str, list[str]] = {name: [] for name in scenarios}
    # Longer phrases first, and each match is blanked out, so that "self join" counts
    # for the hierarchy and its "join" is not counted again for retail.
    for keyword, scenario, weight in _keywords_longest_first(scenarios):
        pattern = _pattern(keyword)
        found = pattern.search(text)
        if found:
            points[scenario] += weight
            matched[scenario].append(found.group(0))
            text = pattern.sub(" ", text)
    scores = [Score(name, points[name], tuple(matched[name])) for name in scenarios]
    return sorted(scores, key=lambda s: (-s.points, scenarios.index(s.scenario)))


def _keywords_longest_first(scenarios: tuple[str, ...]) -> list[tuple[str, str, int]]:
    entries = [
        (keyword, scenario, weight)
        for scenario in scenarios
        for keyword, weight in KEYWORDS.get(scenario, {}).items()
    ]
    return sorted(entries, key=lambda e: (-len(e[0].split()), -len(e[0]), e[0], e[1]))


def _pattern(keyword: str) -> re.Pattern[str]:
    words = [
        re.escape(word[:-1]) + r"[a-z0-9]*" if word.endswith("*") else re.escape(word)
        for word in keyword.split()
    ]
    return re.compile(r"(?<= )" + " ".join(words) + r"(?= )")
