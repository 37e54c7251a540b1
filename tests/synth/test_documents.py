"""Hostile documents: alias bombs, deep nesting, huge integers, NaN, NUL and lone surrogates.

Each is refused with a ``SpecError`` before anything walks or stores it.
"""

from __future__ import annotations

import json

import pytest

from datagen_lti.grading.questions import load_questions
from datagen_lti.synth import SpecError, load_spec
from datagen_lti.synth.documents import MAX_DEPTH
from datagen_lti.synth.loading import parse_document, spec_from_data

# Each level refers to the one below nine times: parsed, it is a tree of 9**5 leaves
# whose nodes are shared, and any code that walks it as a tree does 59,049 times the work.
ALIAS_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 6)]
)

SPEC = """
spec_version: 1
title: Shop
tables:
  customers:
    rows: 5
    columns:
      customer_id: {type: id}
      segment: {type: category, values: [retail, trade]}
      spend: {type: decimal, distribution: {kind: uniform, low: 0, high: 100}}
"""


def spec_json(**changes) -> dict:
    data = {
        "spec_version": 1,
        "title": "Shop",
        "tables": [
            {
                "name": "customers",
                "rows": 5,
                "columns": [
                    {"name": "customer_id", "type": "id"},
                    {"name": "segment", "type": "category", "values": ["retail", "trade"]},
                    {"name": "spend", "type": "decimal"},
                ],
            }
        ],
    }
    data.update(changes)
    return data


def test_the_example_spec_loads():
    assert load_spec(SPEC).tables[0].name == "customers"


def test_an_alias_bomb_is_refused_before_it_is_expanded():
    with pytest.raises(SpecError) as caught:
        parse_document(ALIAS_BOMB)
    assert "anchors and aliases" in caught.value.message
    assert "never need them" in caught.value.hint
    assert caught.value.path == "(line 1, column 5)"


@pytest.mark.parametrize(
    "text",
    [
        SPEC + "      copy: &copy {type: boolean}\n",  # an anchor alone
        "base: &b {type: boolean}\nother: *b\n",
        "a: [&x 1, *x]",
    ],
)
def test_any_anchor_or_alias_is_refused(text):
    with pytest.raises(SpecError, match="anchors and aliases"):
        parse_document(text)


def test_questions_refuse_aliases_too():
    text = "- &q {id: q1, prompt: How many?, answer: {kind: number}}\n- *q\n"
    with pytest.raises(SpecError, match="anchors and aliases"):
        load_questions(text)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 400 + "]" * 400,
        '{"a": ' * 400 + "1" + "}" * 400,
        '{"spec_version": 1, "title": "x", "x": ' + "[" * 400 + "]" * 400 + "}",
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["lists", "objects", "inside-a-spec", "deeper-than-recursion"],
)
def test_deep_json_is_a_spec_error_not_a_recursion_error(text):
    with pytest.raises(SpecError, match=f"more than {MAX_DEPTH} levels"):
        load_spec(text)


def test_deep_yaml_is_refused_while_it_is_composed():
    deep = "a:\n" + "".join(f"{'  ' * n}- \n" for n in range(1, 200))
    with pytest.raises(SpecError, match=f"more than {MAX_DEPTH} levels"):
        parse_document(deep)
    flow = "a: " + "[" * 300 + "]" * 300
    with pytest.raises(SpecError, match=f"more than {MAX_DEPTH} levels"):
        parse_document(flow)


def test_nesting_up_to_the_limit_is_accepted():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_document(text) is not None
    inner = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse_document("a: " + inner) is not None  # the mapping is a level too
    with pytest.raises(SpecError):
        parse_document("[" + text + "]")
    with pytest.raises(SpecError):
        parse_document("a: " + text)


@pytest.mark.parametrize(
    "text",
    [
        '{"spec_version": 1, "title": "x", "rows": ' + "9" * 4_400 + "}",
        '{"n": -' + "1" * 5_000 + "}",
        "spec_version: 1\nrows: " + "9" * 4_400 + "\n",
    ],
    ids=["json", "json-negative", "yaml"],
)
def test_an_integer_of_thousands_of_digits_is_a_spec_error(text):
    with pytest.raises(SpecError, match="more than 400 digits") as caught:
        parse_document(text)
    assert caught.value.path.startswith("(line ")


def test_a_huge_integer_is_refused_where_it_is():
    # Python converts hexadecimal text of any length; the value is refused at its path.
    with pytest.raises(SpecError, match="more than 400 digits") as caught:
        parse_document("n: 0x" + "f" * 4_000 + "\n")
    assert caught.value.path == "n"
    with pytest.raises(SpecError, match="more than 400 digits") as caught:
        spec_from_data(spec_json(title=10**500))
    assert caught.value.path == "title"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            SPEC.replace("high: 100", "high: .inf"),
            "tables.customers.columns.spend.distribution.high",
        ),
        (SPEC.replace("low: 0", "low: -.inf"), "tables.customers.columns.spend.distribution.low"),
        (SPEC + "description: .nan\n", "description"),
        (SPEC.replace("rows: 5", "rows: .NaN"), "tables.customers.rows"),
    ],
)
def test_yaml_infinity_and_nan_name_their_path(text, path):
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    assert caught.value.path == path
    assert "finite number" in caught.value.hint


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity", "NaN"])
def test_json_infinity_and_nan_name_their_path(constant):
    text = json.dumps(spec_json()).replace(
        '"type": "decimal"', f'"type": "decimal", "min": {constant}'
    )
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    assert caught.value.path == "tables.customers.columns.spend.min"


def test_nan_anywhere_is_refused_even_where_the_spec_has_no_number():
    text = json.dumps({"spec_version": 1, "title": "x", "extra": [{"deep": float("nan")}]})
    with pytest.raises(SpecError) as caught:
        load_spec(text)
    assert caught.value.path == "extra.0.deep"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (json.dumps(spec_json(title="Shop\u0000")), "title"),
        (
            json.dumps(spec_json()).replace('"trade"', '"tra\\u0000de"'),
            "tables.customers.columns.segment.values.1",
        ),
        (
            SPEC.replace("[retail, trade]", '[retail, "tr\\0ade"]'),
            "tables.customers.columns.segment.values.1",
        ),
        (SPEC + 'description: "a\\x00b"\n', "description"),
    ],
)
def test_a_nul_character_anywhere_is_refused(text, path):
    with pytest.raises(SpecError, match="NUL character") as caught:
        load_spec(text)
    assert caught.value.path == path


def test_a_nul_in_a_key_is_refused():
    with pytest.raises(SpecError, match="NUL character"):
        parse_document('{"a\\u0000": 1}')


def test_a_lone_surrogate_is_refused():
    with pytest.raises(SpecError, match="surrogate") as caught:
        load_spec(json.dumps(spec_json()).replace('"Shop"', '"Shop\\ud800"'))
    assert caught.value.path == "title"


def test_specs_built_in_code_are_checked_too():
    from datagen_lti.synth.spec import Spec
    from datagen_lti.synth.validation import validate_spec

    data = spec_json()
    data["tables"][0]["columns"][1]["values"] = ["retail", "tr\x00ade"]
    spec = Spec.model_validate(data)  # the model alone lets a NUL through
    with pytest.raises(SpecError, match="NUL character") as caught:
        validate_spec(spec)
    assert caught.value.path == "tables.customers.columns.segment.values.1"


def test_an_invalid_yaml_date_is_a_spec_error():
    with pytest.raises(SpecError, match="invalid date") as caught:
        parse_document("start: 2024-13-45\n")
    assert caught.value.path == "(line 1, column 8)"
