"""Realism audit of the example scenarios: data an instructor can show a class.

Each rule is a plausibility check a domain expert would make at a glance (no maternity
visit for a man, no CEO earning less than their staff), asserted over many learners'
variants. The quick suite tries 10 learners, the heavy stage 100.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import duckdb
import pytest
from faker.providers.person.en_US import Provider as UsNames

from datagen_lti.synth import generate, load_spec_file
from tests.synth.conftest import EXAMPLES, seed_for

LEARNERS = 100
QUICK_LEARNERS = 10
LEARNER_COUNTS = [QUICK_LEARNERS, pytest.param(LEARNERS, marks=pytest.mark.heavy)]
IDS = ["quick", "all"]


@cache
def _variants(scenario: str, learners: int) -> tuple:
    spec = load_spec_file(EXAMPLES / f"{scenario}.yaml")
    return tuple(generate(spec, seed=seed_for(f"learner-{i}")) for i in range(learners))


def _connect(data) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for name, table in data.tables.items():
        con.register(name, table)
    return con


def _each(scenario: str, learners: int, sql: str) -> list[tuple]:
    """Rows of ``sql`` over every learner's variant, tagged with the learner number."""
    rows = []
    for i, data in enumerate(_variants(scenario, learners)):
        rows.extend((i, *row) for row in _connect(data).execute(sql).fetchall())
    return rows


def _vocab(name: str) -> dict:
    text = resources.files("datagen_lti.synth.vocab").joinpath(f"{name}.json").read_text()
    return json.loads(text)


# --- retail -------------------------------------------------------------------------


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_retail_orders_do_not_pile_up_on_the_last_day(learners):
    rows = _each(
        "retail",
        learners,
        "SELECT count(*) FILTER (WHERE order_date = DATE '2024-06-30'), count(*) FROM orders",
    )
    last, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    # 912 days in the range: an even spread puts about 0.1 % on any one day.
    assert last / total < 0.01, f"{last / total:.1%} of the orders fall on the range's last day"


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_retail_weekend_share_follows_the_weekly_weights(learners):
    rows = _each(
        "retail",
        learners,
        "SELECT count(*) FILTER (WHERE isodow(order_date) >= 6), count(*) FROM orders",
    )
    weekend, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    expected = (1.5 + 1.3) / 8.0  # weekly: [1, 1, 1, 1, 1.2, 1.5, 1.3]
    assert abs(weekend / total - expected) < 0.03, (weekend / total, expected)


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_retail_products_belong_to_their_category_and_price_band(learners):
    vocab = _vocab("products")
    wrong = []
    for learner, name, category, price in _each(
        "retail", learners, "SELECT product_name, category, unit_price FROM products"
    ):
        items = {item["noun"]: item for item in vocab[category]["items"]}
        noun = next((n for n in items if name.endswith(" " + n) or name == n), None)
        if noun is None:
            wrong.append((learner, name, category, "not a product of the category"))
        elif not items[noun]["low"] <= price <= items[noun]["high"]:
            wrong.append((learner, name, category, f"${price} outside its price band"))
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_retail_a_product_appears_once_per_order(learners):
    repeats = _each(
        "retail",
        learners,
        "SELECT order_id, product_id FROM order_items GROUP BY 1, 2 HAVING count(*) > 1",
    )
    assert not repeats, repeats[:10]


# --- hospital -----------------------------------------------------------------------

_FEMALE = set(UsNames.first_names_female) - set(UsNames.first_names_male)
_MALE = set(UsNames.first_names_male) - set(UsNames.first_names_female)


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hospital_first_names_match_the_recorded_sex(learners):
    wrong = [
        (learner, name, sex)
        for learner, name, sex in _each("hospital", learners, "SELECT full_name, sex FROM patients")
        if (sex == "F" and name.split()[0] in _MALE) or (sex == "M" and name.split()[0] in _FEMALE)
    ]
    assert not wrong, wrong[:10]


_AGE = "date_diff('year', p.birth_date, CAST(v.admitted_at AS DATE))"


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hospital_visit_reasons_fit_the_patient(learners):
    wrong = _each(
        "hospital",
        learners,
        f"""
        SELECT v.visit_id, v.reason, p.sex, {_AGE} AS age
        FROM visits v JOIN patients p USING (patient_id)
        WHERE (v.reason = 'Maternity' AND (p.sex = 'M' OR {_AGE} < 16 OR {_AGE} > 50))
           OR (v.reason = 'Cardiac' AND {_AGE} < 10)
        """,
    )
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hospital_check_ups_are_rarely_overnight(learners):
    rows = _each(
        "hospital",
        learners,
        "SELECT count(*) FILTER (WHERE length_of_stay_days > 0), count(*) FROM visits "
        "WHERE reason = 'Check-up'",
    )
    overnight, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    assert overnight / total < 0.1, f"{overnight / total:.0%} of check-ups stay overnight"


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hospital_cost_grows_with_length_of_stay(learners):
    rows = _each("hospital", learners, "SELECT corr(cost, length_of_stay_days) FROM visits")
    weak = [(learner, r) for learner, r in rows if not r > 0.5]
    assert not weak, weak[:10]


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hospital_emergency_admissions_run_around_the_clock(learners):
    rows = _each(
        "hospital",
        learners,
        "SELECT count(*) FILTER (WHERE hour(admitted_at) >= 20 OR hour(admitted_at) < 7), "
        "count(*) FROM visits WHERE ward = 'Emergency'",
    )
    night, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    # An emergency department admits about a quarter to a third of its patients at night.
    assert night / total > 0.2, f"{night / total:.0%} of emergency admissions at night"


# --- HR -----------------------------------------------------------------------------

_C_LEVEL = ("Chief ", "CEO", "President")
_MANAGERIAL = ("Chief", "President", "Director", "Head of", "Manager", "Lead")


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hr_the_ceo_has_a_c_level_title(learners):
    rows = _each(
        "hr_hierarchy", learners, "SELECT job_title FROM employees WHERE manager_id IS NULL"
    )
    wrong = [r for r in rows if not r[1].startswith(_C_LEVEL)]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hr_the_ceo_earns_most(learners):
    rows = _each(
        "hr_hierarchy",
        learners,
        "SELECT salary, (SELECT max(salary) FROM employees) FROM employees "
        "WHERE manager_id IS NULL",
    )
    wrong = [r for r in rows if r[1] < r[2]]
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hr_nobody_outranks_their_manager(learners):
    wrong = _each(
        "hr_hierarchy",
        learners,
        """
        SELECT e.employee_id, e.salary, m.salary, e.hire_date, m.hire_date
        FROM employees e JOIN employees m ON m.employee_id = e.manager_id
        WHERE e.salary > m.salary OR e.hire_date < m.hire_date
        """,
    )
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_hr_titles_follow_the_level(learners):
    rows = _each(
        "hr_hierarchy",
        learners,
        """
        SELECT e.job_title, e.manager_id IS NULL,
               EXISTS (SELECT 1 FROM employees r WHERE r.manager_id = e.employee_id)
        FROM employees e
        """,
    )
    wrong = [
        r
        for r in rows
        if (not r[2] and r[1].startswith(_C_LEVEL))  # a C-level title below the CEO
        or (not r[3] and any(word in r[1] for word in _MANAGERIAL))  # manages nobody
    ]
    assert not wrong, wrong[:10]


# --- university ---------------------------------------------------------------------


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_university_course_titles_belong_to_their_department(learners):
    vocab = _vocab("courses")
    wrong = [
        r
        for r in _each("university", learners, "SELECT title, department FROM courses")
        if r[1] not in vocab.get(r[2], {}).get("titles", ())
    ]
    assert not wrong, wrong[:10]


# --- housing ------------------------------------------------------------------------


@pytest.mark.parametrize("learners", LEARNER_COUNTS, ids=IDS)
def test_housing_price_per_square_metre_is_plausible(learners):
    wrong = []
    for i, data in enumerate(_variants("housing", learners)):
        # The outliers are a deliberate teaching flaw: judge the other listings.
        flawed = {r.key for r in data.flaw_manifest.records if r.column == "price"}
        rows = _connect(data).execute("SELECT listing_id, price / area_sqm FROM listings")
        wrong.extend(
            (i, key, round(v))
            for key, v in rows.fetchall()
            if key not in flawed
            if not 1_500 <= v <= 12_000
        )
    assert not wrong, wrong[:10]
