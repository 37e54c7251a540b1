"""The template scenarios and the words in learning objectives that point to each.

Two vocabularies: the *entities* a scenario is about (customers, patients, house prices)
and the *skills* it was written to teach (GROUP BY, seasonality). Entities weigh more: an
objective about "outliers in house prices" is a housing exercise that needs outliers, not
a sensor-cleaning exercise; the properties the lesson needs are added to the scenario
afterwards (``fragments``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A keyword is a phrase; a trailing * on a word accepts any ending (join* matches joins, joining).
# Words every objective uses ("students", "course", "data", "query") point nowhere and are left out.
# Skill weights: 4-5 for a term that names the scenario's core skill, 2-3 for a strong hint,
# 1 for a word that only leans one way.
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
        "subquer*": 1,
        "correlated subquer*": 3,
        "churn*": 3,
        "normali*": 2,
        "3nf": 2,
        "normal form*": 2,
        "funnel*": 1,
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
    },
    "hr_hierarchy": {
        "self join*": 5,
        "self referenc*": 5,
        "hierarch*": 4,
        "recursi*": 3,
        "org* chart*": 3,
        "organi* chart*": 3,
        "report* to": 2,
        "reporting line*": 2,
        "tree*": 2,
    },
    "hospital": {
        "season*": 2,
        "date arithmetic": 4,
        "datetime*": 2,
        "timestamp*": 2,
        "time stamp*": 2,
        "month*": 2,
        "weekday*": 2,
        "day of week": 2,
        "temporal": 2,
        "datediff": 2,
        "date*": 1,
        "week*": 1,
        "quarter*": 1,
        "calendar*": 1,
        "interval*": 1,
        "duration*": 1,
        "length of stay": 2,
    },
    "sensors": {
        "time series": 4,
        "moving average*": 3,
        "rolling": 2,
        "daily": 1,
        "trend*": 1,
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
        "mixed format*": 4,
        "date format*": 3,
        "typo*": 2,
        "whitespace": 2,
        "standardi*": 2,
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
        "statistic*": 1,
        "histogram*": 1,
        "distribution*": 1,
        "variance": 1,
        "standard deviation*": 1,
    },
}

# The things a scenario is about. Each entity word found adds ENTITY_WEIGHT times its weight:
# what the data is about decides the scenario before the skill does.
ENTITY_WEIGHT = 3
ENTITIES: dict[str, dict[str, int]] = {
    "retail": {
        "customer*": 2,
        "order*": 2,
        "product*": 2,
        "shop*": 2,
        "store*": 1,
        "retail*": 2,
        "e commerce": 2,
        "ecommerce": 2,
        "sales": 2,
        "sold": 1,
        "revenue*": 1,
        "purchase*": 1,
        "invoice*": 1,
        "basket*": 1,
        "catalogue*": 1,
        "catalog*": 1,
    },
    "university": {
        # Not "student": objectives call the learners students whatever the data is about.
        "enrol*": 2,
        "exam*": 1,
        "timetabl*": 1,
        "enroll*": 2,
        "universit*": 2,
        "grade*": 1,
        "lecturer*": 1,
        "module*": 1,
        "credits": 1,
    },
    "hr_hierarchy": {
        "employee*": 2,
        "manager*": 2,
        "staff": 1,
        "hr": 1,
        "salar*": 2,
        "department*": 1,
        "payroll": 1,
        "workforce": 1,
        "hire*": 1,
    },
    "hospital": {
        "hospital*": 2,
        "patient*": 2,
        "visit*": 1,
        "admission*": 2,
        "admitted": 1,
        "ward*": 1,
        "blood type*": 2,
        "diagnos*": 1,
        "clinic*": 1,
        "doctor*": 1,
        "readmi*": 2,
    },
    "sensors": {
        "sensor*": 2,
        "reading*": 2,
        "iot": 2,
        "temperature*": 1,
        "humidity": 1,
        "device*": 1,
        "meter*": 1,
        "telemetry": 2,
    },
    "housing": {
        "hous*": 2,
        "home*": 1,
        "real estate": 2,
        "listing*": 2,
        "propert*": 1,
        "neighbourhood*": 2,
        "neighborhood*": 2,
        "floor area": 2,
        "asking price*": 2,
        "rent*": 1,
        "apartment*": 1,
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
    entities: tuple[str, ...] = ()  # the entity words among ``matched``


def normalise(text: str) -> str:
    """Lower case, each run of punctuation or spaces made one space ("GROUP-BY" -> "group by")."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def score_objectives(
    objectives: str,
    scenarios: tuple[str, ...] = SCENARIO_ORDER,
    bonus: dict[str, int] | None = None,
) -> list[Score]:
    """Score each scenario (entity words weigh more than skills); best first, ties in order.

    ``bonus``: extra points per scenario (the drafter gives some to scenarios whose tables
    already provide what the objectives need).
    """
    text = f" {normalise(objectives)} "
    points = dict.fromkeys(scenarios, 0)
    matched: dict[str, list[str]] = {name: [] for name in scenarios}
    entities: dict[str, list[str]] = {name: [] for name in scenarios}
    # Longer phrases first, and each match is blanked out, so that "self join" counts
    # for the hierarchy and its "join" is not counted again for retail.
    for keyword, scenario, weight, entity in _keywords_longest_first(scenarios):
        pattern = _pattern(keyword)
        found = pattern.search(text)
        if found:
            points[scenario] += weight * (ENTITY_WEIGHT if entity else 1)
            matched[scenario].append(found.group(0))
            if entity:
                entities[scenario].append(found.group(0))
            text = pattern.sub(" ", text)
    for name, extra in (bonus or {}).items():
        if name in points and points[name] > 0:
            points[name] += extra
    scores = [
        Score(name, points[name], tuple(matched[name]), tuple(entities[name])) for name in scenarios
    ]
    return sorted(scores, key=lambda s: (-s.points, scenarios.index(s.scenario)))


def _keywords_longest_first(scenarios: tuple[str, ...]) -> list[tuple[str, str, int, bool]]:
    entries = [
        (keyword, scenario, weight, entity)
        for entity, table in ((True, ENTITIES), (False, KEYWORDS))
        for scenario in scenarios
        for keyword, weight in table.get(scenario, {}).items()
    ]
    return sorted(entries, key=lambda e: (-len(e[0].split()), -len(e[0]), e[0], e[1]))


def _pattern(keyword: str) -> re.Pattern[str]:
    words = [
        re.escape(word[:-1]) + r"[a-z0-9]*" if word.endswith("*") else re.escape(word)
        for word in keyword.split()
    ]
    return re.compile(r"(?<= )" + " ".join(words) + r"(?= )")
