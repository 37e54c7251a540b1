"""The messages sent to the language model: what a spec and a question set are, one example
of each, and repair requests."""

from __future__ import annotations

import json
from typing import get_args

from datagen_lti.drafting.properties import Detected, detected_text, vocabulary_text
from datagen_lti.grading.questions import FlawKind
from datagen_lti.synth import GeneratedDataset
from datagen_lti.synth.expressions import FUNCTIONS
from datagen_lti.synth.schema import Column
from datagen_lti.synth.spec_columns import TEXT_KINDS

# Drafts are classroom datasets; the instructor scales them up later if needed.
MAX_DRAFT_ROWS = 200_000
MAX_DRAFT_TABLES = 12
MAX_DRAFT_COLUMNS = 40

# Small but complete: a root table, a fixed catalogue, a child table sized per parent,
# a derived column, a cross-table constraint, a flaw and checks. Tests keep it valid.
EXAMPLE_SPEC: dict = {
    "spec_version": 1,
    "title": "Library loans",
    "description": "Members of a public library and the books they borrow.",
    "tables": [
        {
            "name": "members",
            "description": "One row per library member.",
            "rows": 80,
            "columns": [
                {"name": "member_id", "type": "id"},
                {"name": "full_name", "type": "text", "kind": "full_name"},
                {"name": "email", "type": "text", "kind": "email", "source": ["full_name"]},
                {"name": "joined_on", "type": "date", "start": "2020-01-01", "end": "2023-12-31"},
                {
                    "name": "membership",
                    "type": "category",
                    "values": ["adult", "student", "senior"],
                    "weights": [60, 25, 15],
                },
            ],
        },
        {
            "name": "books",
            "description": "The catalogue; it does not grow with the scale.",
            "rows": 40,
            "scale_rows": False,
            "columns": [
                {"name": "book_id", "type": "id", "strategy": "code", "prefix": "B-", "digits": 4},
                {"name": "genre", "type": "category", "values": ["fiction", "history", "science"]},
                {
                    "name": "pages",
                    "type": "integer",
                    "distribution": {"kind": "normal", "mean": 320, "sd": 90},
                    "min": 60,
                },
            ],
        },
        {
            "name": "loans",
            "description": "A member borrows a book; popular books are borrowed more.",
            "columns": [
                {"name": "loan_id", "type": "id"},
                {
                    "name": "member_id",
                    "type": "foreign_key",
                    "references": "members",
                    "per_parent": {"kind": "poisson", "mean": 3},
                    "childless_share": 0.2,
                },
                {"name": "book_id", "type": "foreign_key", "references": "books", "pick": "zipf"},
                {
                    "name": "loaned_on",
                    "type": "date",
                    "start": "2024-01-01",
                    "end": "2024-12-31",
                    "weekly": [1, 1, 1, 1, 1.2, 1.6, 0.4],
                },
                {
                    "name": "due_on",
                    "type": "derived",
                    "expression": "add_days(loaned_on, 21)",
                    "output": "date",
                },
                {
                    "name": "days_late",
                    "type": "integer",
                    "distribution": {"kind": "poisson", "mean": 2},
                    "null_rate": 0.1,
                },
            ],
            "constraints": [
                {"kind": "order", "left": "loaned_on", "op": ">=", "right": "members.joined_on"}
            ],
        },
    ],
    "checks": [
        {
            "kind": "childless_parents",
            "description": "Some members never borrowed: the LEFT JOIN question.",
            "parent": "members",
            "child": "loans",
            "column": "member_id",
            "min": 3,
        },
        {
            "kind": "sql",
            "description": "Every loan is due after it starts.",
            "query": "SELECT count(*) FROM loans WHERE due_on <= loaned_on",
            "expect_max": 0,
        },
    ],
    "flaws": [
        {
            "kind": "inconsistent_text",
            "description": "Genres typed by hand.",
            "table": "books",
            "column": "genre",
            "rate": 0.1,
            "variants": ["case", "whitespace"],
        }
    ],
}

_SYSTEM_PROMPT = """\
You draft dataset specs for a teaching tool. Every learner gets their own random variant of a \
relational dataset generated from the spec and practises the instructor's learning objectives \
on it. Reply with one spec as JSON that follows the response schema; null means "use the default".

How a spec works:
- tables: usually 2 to 6, each with a name, a description and columns. A root table sets \
`rows` (tens to a few thousand). A child table whose foreign key has `per_parent` takes its size \
from its parent and leaves `rows` null. Keep the whole dataset under {max_rows:,} rows, at most \
{max_tables} tables and {max_columns} columns per table.
- column types: id (sequence, uuid, or code with prefix and digits); integer and decimal (a \
distribution: uniform, normal, lognormal, exponential, poisson, zipf, pareto or empirical; \
optional min and max); boolean (p_true); category (values with weights; `given` plus \
`conditional` makes the weights depend on another column's value); date and timestamp (start, \
end, trend, 7 weekly and 12 annual weights for seasonality); text (kind: {text_kinds}; an email \
may take `source`: its row's name columns); foreign_key; derived (an expression over the row's \
columns and parent_table.column, with the functions {functions}); linear (y = slope * x + \
intercept, with a target correlation or a noise_sd).
- relationships: a foreign_key `references` a table by name and holds that table's primary key \
(by default its first id column). `per_parent` (fixed, poisson, uniform or zipf) sets the \
children per parent and `childless_share` leaves some parents without any; without per_parent \
each row picks a parent (uniform or zipf). Many-to-many: a junction table with two foreign keys \
(one with per_parent), a primary_key listing both and a unique constraint on the pair. A \
foreign key that references its own table builds a hierarchy (fan_out, roots).
- constraints: order (left op right; right may be parent_table.column) and unique.
- flaws, for cleaning exercises, are applied after generation and recorded: missing_values, \
duplicate_rows, outliers, inconsistent_text, mixed_date_formats, orphans.
- checks are assertions that must hold in every learner's variant, so that each question has an \
answer: row_count, childless_parents, null_count, distinct_count, correlation, \
group_size_spread, and sql (one read-only SELECT over the tables returning one value, with \
expect_min and/or expect_max, or expect_true). Checks see the data after the flaws. Choose \
bounds that hold comfortably for any random variant.

Properties: some lessons need a property in every learner's variant (a customer without \
orders, a minority true/false label, dates as text in several formats). When the user lists \
properties, build each one into the data and add at least one required check that guarantees \
it for every learner (a failed required check makes the engine try another seed), and start \
that check's description with the property's tag, e.g. "[childless_parent] Some customers \
never ordered.". The vocabulary, with the check that guarantees each:
{vocabulary}

Names are snake_case. Every table and column a column, check or flaw names must exist. Shape the \
tables, relationships, patterns, flaws and checks around the objectives: each exercise the \
objectives imply should be answerable from the data, and the checks should guarantee it.

An example spec (defaults left out):
{example}
"""


def system_prompt() -> str:
    """The system message: the spec language in brief and one example."""
    return _SYSTEM_PROMPT.format(
        max_rows=MAX_DRAFT_ROWS,
        max_tables=MAX_DRAFT_TABLES,
        max_columns=MAX_DRAFT_COLUMNS,
        text_kinds=", ".join(TEXT_KINDS),
        functions=", ".join(FUNCTIONS),
        vocabulary=vocabulary_text(),
        example=json.dumps(EXAMPLE_SPEC, separators=(",", ":")),
    )


def objectives_message(
    objectives: str, *, title: str | None, properties: list[Detected] | None = None
) -> str:
    """The first user message: the objectives, quoted so they read as data, and the
    properties they need."""
    lines = [
        "Draft a dataset spec for these learning objectives (between the markers):",
        "<<<",
        objectives,
        ">>>",
    ]
    if properties:
        lines += [
            "",
            "These objectives need the following properties in every learner's variant; give "
            "each a required check whose description starts with its tag:",
            detected_text(properties),
        ]
    if title:
        lines.append(f"Use this title: {title}")
    return "\n".join(lines)


def properties_problem(missing: list[Detected]) -> str:
    """What to tell the model when the spec lacks checks for some properties."""
    return (
        "no required check guarantees these properties the objectives need:\n"
        + "\n".join(
            f"- [{item.id}] {item.property.label}: add {item.property.guarantee}, its "
            f"description starting with [{item.id}]"
            for item in missing
        )
        + "\nProvide each property in the tables and add its check."
    )


def repair_message(problem: str) -> str:
    """A follow-up user message: what is wrong with the last spec, and to send it again whole."""
    return (
        f"That spec cannot be used: {problem}\n"
        "Send the whole corrected spec as JSON, changing only what is needed to fix this."
    )


# Questions on the example spec's tables: a param, a LEFT JOIN, a cleaning step and SQL.
# Tests keep every key computable on the example's trial dataset.
EXAMPLE_QUESTIONS: dict = {
    "questions": [
        {
            "id": "loans_of_member",
            "prompt": "How many books did member **{{ member }}** borrow?",
            "type": "number",
            "params": [{"name": "member", "query": "SELECT member_id FROM loans"}],
            "reference_sql": "SELECT count(*) FROM loans WHERE member_id = $member",
        },
        {
            "id": "never_borrowed",
            "prompt": "List the `member_id` of every member who has never borrowed a book.",
            "type": "set",
            "points": 2,
            "reference_sql": "SELECT m.member_id FROM members m "
            "LEFT JOIN loans l ON l.member_id = m.member_id WHERE l.loan_id IS NULL",
            "explanation": "A LEFT JOIN keeps every member; those without loans have NULLs.",
        },
        {
            "id": "average_days_late",
            "prompt": "What is the average `days_late` of the loans of **{{ genre }}** books? "
            "Leave out loans where it is unknown and give two decimals.",
            "type": "number",
            "abs_tol": 0.01,
            "params": [{"name": "genre", "query": "SELECT DISTINCT lower(trim(genre)) FROM books"}],
            "reference_sql": "SELECT avg(l.days_late) FROM loans l JOIN books b USING (book_id) "
            "WHERE lower(trim(b.genre)) = $genre",
        },
        {
            "id": "loans_per_genre",
            "prompt": "Write one SELECT that returns each genre, in lower case without "
            "surrounding spaces, with its number of loans.",
            "type": "sql",
            "points": 3,
            "reference_sql": "SELECT lower(trim(b.genre)) AS genre, count(*) AS loans "
            "FROM loans l JOIN books b USING (book_id) GROUP BY 1",
        },
    ]
}

_QUESTIONS_SYSTEM_PROMPT = """\
You write questions for a teaching tool. Every learner gets their own random variant of a \
dataset (the same tables and columns, different rows and values) and answers the questions on \
their own data; each learner's answer key is computed by running the question's reference SQL \
on their variant. Reply with one question set as JSON that follows the response schema; null \
means "use the default".

How a question works:
- id: snake_case and distinct. prompt: Markdown the learner reads. points: 1 to 3, more for \
harder questions.
- type: number (one number), text (one value such as a name or a code), set (values in any \
order, such as the ids of some rows), table (a small result grid the learner pastes) or sql (the \
learner writes one SELECT; its result is compared with the reference's result, rows in any order \
unless `ordered` is true).
- reference_sql: one DuckDB SELECT over the tables listed by the user, using only their columns. \
It returns exactly one row with one value for number and text, one column for set, and at most \
1,000 rows.
- params: a value picked for each learner, shown in the prompt as {{{{ name }}}} and bound in \
reference_sql as $name. Its query is a SELECT whose first column lists the candidates; choose \
candidates that exist in every variant and give the question a meaningful answer (for example \
only customers who placed an order). A sql question has no params.
- flaw_key, instead of reference_sql, when the dataset has flaws: the key is read from the flaw \
manifest ({flaw_kinds}). measure keys gives the primary keys of the rows affected (type set); \
measure count gives how many (type number), which is often the same for every learner.
- Keys must differ between learners: ask about the data (sums, averages, counts per group, the \
largest row, a per-learner param), not about what the spec fixes (the rows of a fixed-size \
table, the list of category values, a rate of flaws or of rows without children).
- Keys must be unambiguous: say how to round and set abs_tol to match (two decimals: 0.01) or \
rel_tol; break ties in the prompt and in the SQL (ORDER BY the measure, then a name; LIMIT 1); \
say which rows count (NULLs, duplicates).
- explanation: one sentence on the method, shown with the key after grading.

Write 3 to 5 questions that practise the learning objectives, at least one of type sql and at \
least one with a param.

An example for a library dataset (members, books, loans; book genres typed inconsistently):
{example}
"""


def questions_system_prompt() -> str:
    """The system message for drafting questions: the question format in brief and one example."""
    return _QUESTIONS_SYSTEM_PROMPT.format(
        flaw_kinds=", ".join(get_args(FlawKind)),
        example=json.dumps(EXAMPLE_QUESTIONS, separators=(",", ":")),
    )


def questions_message(objectives: str, *, sample: GeneratedDataset) -> str:
    """The user message for questions: the objectives and the drafted dataset's tables."""
    lines = [
        "Write questions for these learning objectives (between the markers):",
        "<<<",
        objectives,
        ">>>",
        "",
        "The tables, with the row counts of one sample variant:",
    ]
    for table in sample.schema.tables:
        foreign = {
            column: f"{fk.ref_table}.{ref}"
            for fk in table.foreign_keys
            for column, ref in zip(fk.columns, fk.ref_columns, strict=True)
        }
        columns = ", ".join(
            _column_line(c, primary=c.name in table.primary_key, references=foreign.get(c.name))
            for c in table.columns
        )
        lines.append(f"- {table.name} ({sample.tables[table.name].num_rows:,} rows): {columns}")
    summaries = getattr(sample.flaw_manifest, "summaries", None) or []
    if summaries:
        lines += ["", "Flaws injected into every variant, for cleaning exercises:"]
        for summary in summaries:
            where = ", ".join(f"{summary.table}.{c}" for c in summary.columns) or summary.table
            lines.append(f"- {summary.kind} in {where}")
    return "\n".join(lines)


_SQL_TYPES = {
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "float": "DOUBLE",
    "string": "VARCHAR",
    "category": "VARCHAR",
    "uuid": "VARCHAR",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_MAX_LISTED_VALUES = 12


def _column_line(column: Column, *, primary: bool, references: str | None) -> str:
    text = f"{column.name} {_SQL_TYPES.get(column.type, column.type.upper())}"
    if primary:
        text += " primary key"
    if references:
        text += f" references {references}"
    values = column.allowed_values or ()
    if values and len(values) <= _MAX_LISTED_VALUES:
        text += " (" + " | ".join(values) + ")"
    return text


def questions_repair_message(problem: str) -> str:
    """A follow-up user message: what is wrong with the last questions, and to send them again."""
    return (
        f"Those questions cannot be used: {problem}\n"
        "Send the whole corrected question set as JSON, changing only what is needed to fix this."
    )
