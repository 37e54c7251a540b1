"""The data properties a learning objective can need, and the phrasings that reveal them.

Each property names something every learner's variant must have for the lesson to work
(a customer without orders for the LEFT JOIN exercise, a minority true/false label for the
class-imbalance one). The offline drafter adds the columns, flaws and checks that provide
it (``fragments``); the language model is told the same vocabulary and must return a check
for each property it is asked for. A check guarantees a property when its description
starts with the property's tag, ``[id]``: required checks make the engine retry another
sub-seed, so a check that holds means the property holds for that learner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from datagen_lti.drafting.scenarios import normalise


@dataclass(frozen=True)
class Property:
    """One property: how objectives ask for it and which checks can guarantee it."""

    id: str
    label: str
    phrasings: tuple[str, ...]  # regular expressions over normalised text (see ``normalise``)
    guarantee: str  # how a check guarantees it, for the prompt and the rationale
    check_kinds: tuple[str, ...] = ("sql",)  # the check kinds that can guarantee it


@dataclass(frozen=True)
class Detected:
    """A property the objectives ask for, the words that asked, and its parameters."""

    property: Property
    matched: str
    params: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.property.id


# Detection order matters: the first properties are the most specific, and the words a
# property matched are blanked before the next looks ("update anomalies" is normalisation,
# not outliers; "three correlated measures" is not just a correlation range).
PROPERTIES: tuple[Property, ...] = (
    Property(
        "functional_dependency",
        "a functional dependency in a flat table (normalisation)",
        (
            r"normali[sz]\w*",
            r"denormali[sz]\w*",
            r"(?:1|2|3|first|second|third) ?(?:nf|normal form)",
            r"functional(?:ly)? dependen\w*",
            r"transitive dependenc\w*",
            r"update anomal\w*",
            r"insert(?:ion)? anomal\w*",
            r"redundan\w*",
        ),
        "a sql check that the determinant column has one value of the dependent column "
        "(count of determinants with count(DISTINCT dependent) > 1 is 0) and that determinants "
        "repeat",
    ),
    Property(
        "correlated_measures",
        "several numeric measures correlated with each other",
        (
            r"(?:three|four|five|several|multiple|many|3|4|5) (?:\w+ )?correlated "
            r"(?:measures?|variables?|columns?|features?|metrics?)",
            r"correlation matri\w*",
            r"multicollinear\w*",
            r"pairwise correlations?",
            r"multiple (?:linear )?regression",
        ),
        "one correlation check per pair of measures with a min",
        ("correlation", "sql"),
    ),
    Property(
        "correlation_range",
        "two numeric columns with a correlation in a target range",
        (
            r"(?<!un)correlat\w*(?! subquer)",
            r"regression\w*",
            r"r squared",
            r"linear (?:relation\w*|model\w*|fit)",
            r"scatter ?plots?",
            r"least squares",
        ),
        "a correlation check on the pair with min (and max) — checks see the data after the "
        "flaws, so outliers must not push r out of the range",
        ("correlation", "sql"),
    ),
    Property(
        "unreferenced_row",
        "a referenced row nothing points to (a product never sold)",
        (
            r"(?:been|were|was|are|is|go|went|gone) (?:never|not) "
            r"(?:been )?(?:sold|ordered|bought|purchased|borrowed|booked|taken|used|referenced)",
            r"never (?:been )?(?:sold|purchased|borrowed|rented|taken|referenced|used)",
            r"unsold",
            r"(?:no|zero) sales",
            r"(?:nobody|no one) (?:has )?(?:ordered|bought|takes|took|enrol\w*|chose)",
            r"unreferenced",
            r"unused",
        ),
        "a sql check counting referenced rows that no row points to (NOT EXISTS), expect_min",
    ),
    Property(
        "childless_parent",
        "a parent row without children (a customer who never ordered)",
        (
            r"never (?:placed|ordered|made|visited|enrol\w*|bought|purchased|booked|attended|"
            r"signed|logged|returned|borrowed)",
            r"(?:without|with no|have no|has no|had no) (?:any |an? |a single )?"
            r"(?:orders?|visits?|enrolments?|enrollments?|courses?|purchases?|readings?|"
            r"reports?|children|child rows?|matching rows?|matches|loans?|listings?|sales)",
            r"anti ?join\w*",
            r"not exists",
            r"left (?:outer )?join\w* (?:\w+ ){0,6}(?:is null|unmatched|missing|without)",
            r"unmatched",
            r"childless",
        ),
        "a childless_parents check (or sql NOT EXISTS) with min",
        ("childless_parents", "sql"),
    ),
    Property(
        "hierarchy_depth",
        "a self-referencing hierarchy at least N levels deep",
        (
            r"self ?join\w*",
            r"self ?referenc\w*",
            r"hierarch\w*",
            r"recursive\w*",
            r"recursion",
            r"org(?:ani[sz]ation(?:al)?)? charts?",
            r"reporting (?:lines?|chains?)",
            r"chain of command",
            r"manager\w* of manager\w*",
            r"\d+ levels? deep",
        ),
        "a sql check with WITH RECURSIVE measuring the deepest chain, expect_min",
    ),
    Property(
        "junction_repeats",
        "a junction table whose members appear in several pairs (many-to-many)",
        (
            r"many to many",
            r"\bm ?n\b|\bn ?m\b",
            r"junction\w*",
            r"bridge tables?",
            r"associative (?:tables?|entit\w*)",
            r"link(?:ing)? tables?",
        ),
        "sql checks that several rows on each side appear in two or more pairs",
    ),
    Property(
        "orphans",
        "child rows pointing at parents that do not exist",
        (
            r"orphan\w*",
            r"referential integrity",
            r"dangling",
            r"missing parents?",
            r"foreign key violation\w*",
            r"broken (?:foreign )?(?:keys?|references?|links?)",
        ),
        "a sql check counting child rows without a parent (LEFT JOIN ... IS NULL), expect_min",
    ),
    Property(
        "text_dates",
        "dates stored as text in several formats",
        (
            r"mixed (?:date )?formats?",
            r"(?:several|different|multiple|inconsistent) (?:date )?formats?",
            r"date formats?",
            r"pars(?:e|ing) (?:the )?(?:text )?dates?",
            r"date pars\w*",
            r"(?:text|string) dates?",
            r"dates? (?:stored |written |kept )?as (?:text|strings?)",
            r"strptime",
            r"string to date",
        ),
        "a mixed_date_formats flaw and a sql check counting at least 3 formats",
    ),
    Property(
        "duplicates",
        "duplicate rows to find and remove",
        (
            r"duplicat\w*",
            r"de ?dup\w*",
            r"repeated (?:rows|records|entries)",
            r"double entr\w*",
        ),
        "a duplicate_rows flaw and a sql check counting duplicated rows, expect_min",
    ),
    Property(
        "inconsistent_text",
        "text values written inconsistently (case, spaces, spelling)",
        (
            r"inconsisten\w* (?:text|labels?|spellings?|categor\w*|values?|names?|casing|case)",
            r"inconsisten\w*",
            r"spelling\w*",
            r"typos?",
            r"standardi[sz]\w*",
            r"whitespace",
            r"trim\w*",
            r"upper ?case|lower ?case|capitali[sz]\w*",
        ),
        "an inconsistent_text flaw and a sql check count(DISTINCT col) > "
        "count(DISTINCT lower(trim(col)))",
    ),
    Property(
        "outliers",
        "values beyond the 1.5 x IQR fence",
        (
            r"outliers?",
            r"anomal\w*",
            r"extreme values?",
            r"iqr",
            r"interquartile",
            r"fences?",
            r"z ?scores?",
            r"spikes?",
        ),
        "an outliers flaw and a sql check counting values above Q3 + 1.5 IQR, expect_min",
    ),
    Property(
        "null_share",
        "a column with a share of NULLs",
        (
            r"nulls?",
            r"missing (?:values?|data|entries|cells?|measurements?|readings?|grades?)",
            r"coalesce",
            r"imput\w*",
            r"blank (?:values?|cells?)",
        ),
        "a null_count check with min_share and max_share",
        ("null_count", "sql"),
    ),
    Property(
        "ties",
        "ties among the top values, for ranking",
        (
            r"ties",
            r"tied",
            r"dense ?rank\w*",
            r"\brank\w*",
            r"row ?number",
            r"top \d+ (?:with ties)?",
            r"top (?:three|five|ten|n)\b",
        ),
        "a sql check that the highest value is shared by at least two rows",
    ),
    Property(
        "boolean_label",
        "a true/false label whose true class is a minority",
        (
            r"churn\w*",
            r"(?:class )?imbalanc\w*",
            r"unbalanced",
            r"minority (?:class|label|share)",
            r"rare (?:class|event|label)s?",
            r"fraud\w*",
            r"precision and recall|recall and precision",
            r"binary (?:label|target|outcome|classif\w*)",
            r"true ?false (?:label|flag|column)",
        ),
        "a sql check on avg(label::INTEGER) within [lo, hi] below 0.5",
    ),
    Property(
        "time_series_trend",
        "a regular daily series with an upward trend",
        (
            r"time ?series",
            r"daily (?:readings?|sales|values?|totals?|counts?|series|figures?|revenue|data)",
            r"(?:upward|rising|increasing|growing|downward|falling) trend\w*",
            r"moving averages?",
            r"rolling (?:averages?|means?|windows?|sums?)",
            r"lag\w*",
            r"regular(?:ly)? (?:intervals?|spaced)",
            r"gap ?s? (?:in|between) (?:days|dates)",
            r"trend\w*",
        ),
        "sql checks that the series has one row per day with no gaps and a positive "
        "regr_slope of the value on the day",
    ),
    Property(
        "seasonal_peak",
        "a month that peaks every year",
        (
            r"season\w*",
            r"peaks?",
            r"busiest months?",
            r"(?:monthly|yearly|annual) (?:pattern|cycle)s?",
            r"(?:christmas|holiday|winter|summer) (?:peak|rush|season|spike)s?",
            r"every (?:december|year)",
        ),
        "a sql check that, in every full year, the peak month has more rows than the average "
        "of the other months",
    ),
    Property(
        "date_span",
        "dates spanning at least a given period",
        (
            r"(?:over|across|spanning|span of|covering|cover) (?:at least |more than )?"
            r"(?:\d+|two|three|four|five|six|several|multiple) (?:full )?(?:years?|months?)",
            r"multi ?year",
            r"year over year|year on year|yoy",
            r"(?:several|multiple) years",
        ),
        "a sql check on date_diff between min and max date, expect_min",
    ),
)

BY_ID = {p.id: p for p in PROPERTIES}

_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "several": 3,
    "multiple": 2,
}
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_STRENGTH = {  # words that set a correlation range
    "very strong": (0.8, 0.97),
    "strong": (0.7, 0.95),
    "moderate": (0.4, 0.7),
    "weak": (0.1, 0.35),
}
_SCENARIO_SEASON = {"christmas": 12, "holiday": 12, "winter": 1, "summer": 7}


def detect_properties(objectives: str) -> list[Detected]:
    """The properties the objectives ask for, in vocabulary order, each once."""
    text = f" {normalise(objectives)} "
    raw = " ".join(objectives.lower().split())
    found: list[Detected] = []
    for prop in PROPERTIES:
        matched = ""
        for phrasing in prop.phrasings:
            pattern = re.compile(r"(?<= )(?:" + phrasing + r")(?= )")
            hit = pattern.search(text)
            if hit:
                matched = matched or hit.group(0)
                text = pattern.sub(" ", text)
        if matched:
            found.append(Detected(prop, matched, _params(prop.id, raw)))
    return found


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    return _NUMBERS.get(word)


def _params(prop_id: str, raw: str) -> dict:
    """Numbers the objectives give for a property (a share, a depth, a range, a month)."""
    if prop_id in ("boolean_label", "null_share"):
        share = re.search(r"(\d{1,2}(?:\.\d+)?) ?(?:%|percent)", raw)
        return {"share": float(share.group(1)) / 100} if share else {}
    if prop_id == "hierarchy_depth":
        depth = re.search(
            r"(?:(\w+) levels?(?: deep)?|depth of (?:at least )?(\w+)|(\w+) deep)", raw
        )
        if depth:
            value = _number(next(g for g in depth.groups() if g))
            if value and 2 <= value <= 12:
                return {"depth": value}
        return {}
    if prop_id == "correlated_measures":
        count = re.search(r"(\w+) (?:\w+ )?correlated", raw)
        value = _number(count.group(1)) if count else None
        return {"count": value} if value and 3 <= value <= 5 else {}
    if prop_id == "correlation_range":
        between = re.search(r"between (0?\.\d+|1(?:\.0)?) and (0?\.\d+|1(?:\.0)?)", raw)
        if between:
            low, high = sorted((float(between.group(1)), float(between.group(2))))
            return {"range": (low, high)}
        least = re.search(r"(?:at least|above|over|>=?) (0?\.\d+)", raw)
        if least:
            low = float(least.group(1))
            return {"range": (low, min(0.97, low + 0.25))}
        for word, bounds in _STRENGTH.items():
            if re.search(rf"\b{word}\b", raw):
                return {"range": bounds}
        return {}
    if prop_id == "seasonal_peak":
        for number, month in enumerate(_MONTHS, start=1):
            if re.search(rf"\b{month}\b", raw):
                return {"month": number}
        for word, month in _SCENARIO_SEASON.items():
            if word in raw:
                return {"month": month}
        return {}
    if prop_id == "date_span":
        span = re.search(
            r"(\d+|two|three|four|five|six|several|multiple) (?:full )?(years?|months?)", raw
        )
        if span:
            value = _number(span.group(1)) or 2
            months = value * 12 if span.group(2).startswith("year") else value
            return {"months": max(2, min(months, 120))}
        return {"months": 24}
    return {}


def tag(prop_id: str) -> str:
    """The tag a check's description starts with when it guarantees the property."""
    return f"[{prop_id}]"


def tagged(description: str) -> list[str]:
    """The property ids a check description names in its leading tags."""
    ids = []
    for match in re.finditer(r"\[([a-z_]+)\]", description or ""):
        if match.group(1) in BY_ID:
            ids.append(match.group(1))
    return ids


def unguaranteed(checks: list, detected: list[Detected]) -> list[Detected]:
    """The detected properties no required check guarantees.

    A check guarantees a property when it is required, of a kind that can guarantee it, and
    either tagged ``[id]`` or of a built-in kind specific to it (childless_parents for a
    childless parent, null_count for a NULL share, correlation for a correlation range).
    """
    missing = []
    for item in detected:
        kinds = item.property.check_kinds
        if not any(
            check.required
            and check.kind in kinds
            and (item.id in tagged(check.description) or check.kind != "sql")
            for check in checks
        ):
            missing.append(item)
    return missing


def vocabulary_text() -> str:
    """The property vocabulary as prompt lines: tag, what it is, how a check guarantees it."""
    return "\n".join(f"- {tag(p.id)} {p.label}: {p.guarantee}." for p in PROPERTIES)


def detected_text(detected: list[Detected]) -> str:
    """The properties asked for, one line each, with the parameters the objectives gave."""
    lines = []
    for item in detected:
        params = ", ".join(f"{k} {v}" for k, v in item.params.items())
        extra = f" ({params})" if params else ""
        lines.append(
            f"- {tag(item.id)} {item.property.label}{extra}, asked for by “{item.matched}”"
        )
    return "\n".join(lines)
