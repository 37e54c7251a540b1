"""Columns that read other columns for realism: names by sex, products by category and
price, course titles by department, job titles by level, category weight adjustments, and
order constraints that redraw inside the allowed range."""

from __future__ import annotations

import duckdb
import pytest
from faker.providers.person.en_US import Provider as UsNames

from datagen_lti.synth import generate
from datagen_lti.synth.errors import SpecError
from datagen_lti.synth.vocabularies import course_titles, load, product_catalogue, resolve
from tests.synth.conftest import seed_for, spec_of


def _sql(data, query: str):
    con = duckdb.connect()
    for name, table in data.tables.items():
        con.register(name, table)
    return con.execute(query).fetchall()


# --- order constraints ---------------------------------------------------------------

ORDERS = """
spec_version: 1
title: t
tables:
  customers:
    rows: 400
    columns:
      customer_id: {type: id}
      signup_date: {type: date, start: 2022-01-01, end: 2023-12-31, trend: 3}
  orders:
    columns:
      order_id: {type: id}
      customer_id: {type: foreign_key, references: customers, per_parent: {kind: fixed, n: 5}}
      order_date:
        type: date
        start: 2022-01-01
        end: 2024-06-30
        weekly: [1, 1, 1, 1, 1, 3, 3]
      placed_at: {type: timestamp, start: 2022-01-01, end: 2024-06-30, business_hours: true}
      amount: {type: decimal, distribution: {kind: lognormal, median: 40, sigma: 0.5}, max: 500}
      refund: {type: decimal, distribution: {kind: uniform, low: 0, high: 100}, min: 0}
    constraints:
      - {kind: order, left: order_date, op: ">=", right: customers.signup_date}
      - {kind: order, left: placed_at, op: ">=", right: customers.signup_date}
      - {kind: order, left: refund, op: "<=", right: amount}
"""


def test_a_violating_date_is_redrawn_inside_the_range_without_a_pile_up():
    data = generate(spec_of(ORDERS), seed=seed_for())
    [(late, bad, total, weekend)] = _sql(
        data,
        """
        SELECT count(*) FILTER (WHERE o.order_date = DATE '2024-06-30'),
               count(*) FILTER (WHERE o.order_date < c.signup_date
                                   OR CAST(o.placed_at AS DATE) < c.signup_date),
               count(*),
               count(*) FILTER (WHERE isodow(o.order_date) >= 6)
        FROM orders o JOIN customers c USING (customer_id)
        """,
    )
    assert bad == 0
    assert late / total < 0.01  # about 40 % of the dates were redrawn
    # Weekend days weigh 3 against 1: 6/11 of the orders, redrawn ones included.
    assert abs(weekend / total - 6 / 11) < 0.04


def test_a_redrawn_timestamp_keeps_its_time_of_day():
    data = generate(spec_of(ORDERS), seed=seed_for())
    [(office, total)] = _sql(
        data,
        "SELECT count(*) FILTER (WHERE hour(placed_at) BETWEEN 7 AND 18), count(*) FROM orders",
    )
    assert office / total > 0.85


def test_a_violating_number_is_redrawn_below_its_bound():
    data = generate(spec_of(ORDERS), seed=seed_for())
    [(bad, equal, total)] = _sql(
        data,
        "SELECT count(*) FILTER (WHERE refund > amount), count(*) FILTER (WHERE refund = amount), "
        "count(*) FROM orders",
    )
    assert bad == 0
    assert equal / total < 0.01


HIERARCHY = """
spec_version: 1
title: t
tables:
  employees:
    rows: 300
    columns:
      employee_id: {type: id}
      manager_id: {type: foreign_key, references: employees, fan_out: 3, roots: 1}
      job_title: {type: text, kind: job_title, hierarchy: manager_id}
      hired_on: {type: date, start: 2000-01-01, end: 2024-12-31}
      salary: {type: decimal, distribution: {kind: lognormal, median: 50000, sigma: 0.3},
               min: 20000, max: 500000, scale: 0}
    constraints:
      - {kind: order, left: salary, op: "<", right: employees.salary}
      - {kind: order, left: hired_on, op: ">", right: employees.hired_on}
"""


def test_a_self_reference_compares_each_row_with_its_manager():
    spec = spec_of(HIERARCHY)
    for learner in ("a", "b", "c"):
        data = generate(spec, seed=seed_for(learner))
        [(bad, ceo_top, ceo_first)] = _sql(
            data,
            """
            SELECT (SELECT count(*) FROM employees e JOIN employees m
                      ON m.employee_id = e.manager_id
                    WHERE e.salary >= m.salary OR e.hired_on <= m.hired_on),
                   (SELECT salary FROM employees WHERE manager_id IS NULL)
                      = (SELECT max(salary) FROM employees),
                   (SELECT hired_on FROM employees WHERE manager_id IS NULL)
                      = (SELECT min(hired_on) FROM employees)
            """,
        )
        assert (bad, ceo_top, ceo_first) == (0, True, True), learner
        # Most people are staff: their salaries keep the column's own distribution.
        [(median,)] = _sql(data, "SELECT median(salary) FROM employees")
        assert 40_000 < median < 65_000


# --- text that reads other columns ---------------------------------------------------

PEOPLE = """
spec_version: 1
title: t
tables:
  people:
    rows: 2000
    columns:
      person_id: {type: id}
      sex: {type: category, values: [Female, Male, Unknown], weights: [45, 45, 10]}
      first_name: {type: text, kind: first_name, sex: sex}
      full_name: {type: text, kind: full_name, sex: sex}
"""


def test_first_names_follow_the_sex_column():
    data = generate(spec_of(PEOPLE), seed=seed_for())
    female, male = set(UsNames.first_names_female), set(UsNames.first_names_male)
    rows = data.tables["people"].to_pylist()
    for row in rows:
        first = row["full_name"].split()[0]
        if row["sex"] == "Female":
            assert row["first_name"] in female and first in female, row
        elif row["sex"] == "Male":
            assert row["first_name"] in male and first in male, row
    unknown = {r["first_name"] for r in rows if r["sex"] == "Unknown"}
    assert unknown & female and unknown & male  # either, when the sex is unknown


def test_a_text_input_may_be_listed_after_the_column():
    text = """
spec_version: 1
title: t
tables:
  people:
    rows: 200
    columns:
      person_id: {type: id}
      first_name: {type: text, kind: first_name, sex: sex}
      sex: {type: category, values: [F, M]}
"""
    data = generate(spec_of(text), seed=seed_for())
    female = set(UsNames.first_names_female)
    rows = data.tables["people"].to_pylist()
    assert all(r["first_name"] in female for r in rows if r["sex"] == "F")


def test_a_text_input_must_name_a_column():
    with pytest.raises(SpecError) as info:
        spec_of(PEOPLE.replace("kind: first_name, sex: sex", "kind: first_name, sex: gender"))
    assert info.value.path == "tables.people.columns.first_name.sex"


def test_an_option_of_another_kind_is_refused():
    with pytest.raises(SpecError, match="`price` applies to product_name only"):
        spec_of(PEOPLE.replace("kind: first_name, sex: sex", "kind: first_name, price: sex"))


PRODUCTS = """
spec_version: 1
title: t
tables:
  products:
    rows: 3000
    columns:
      product_id: {type: id}
      category: {type: category, values: [Electronics, home & living, Pet Supplies]}
      price: {type: decimal, distribution: {kind: lognormal, median: 30, sigma: 1.2}, min: 1, max: 3000}
      product_name: {type: text, kind: product_name, category: category, price: price}
"""


def test_product_names_fit_their_category_and_price():
    data = generate(spec_of(PRODUCTS), seed=seed_for())
    for row in data.tables["products"].to_pylist():
        catalogue = product_catalogue(row["category"])
        noun = next(n for n in catalogue.nouns if row["product_name"].endswith(" " + n))
        i = catalogue.nouns.index(noun)
        assert catalogue.low[i] <= row["price"] <= catalogue.high[i], row
        if row["category"] == "Pet Supplies":  # no vocabulary: kits named after it
            assert noun.startswith("Pet Supplies "), row


def test_the_adjective_follows_the_price_within_the_band():
    data = generate(spec_of(PRODUCTS), seed=seed_for())
    tiers = load("products")["Electronics"]["tiers"]
    cheap = {w: "budget" for w in tiers["budget"]} | {w: "premium" for w in tiers["premium"]}
    rows = [r for r in data.tables["products"].to_pylist() if r["category"] == "Electronics"]
    laptops = [r for r in rows if r["product_name"].endswith(" Laptop")]
    assert laptops
    for row in laptops:
        tier = cheap.get(row["product_name"].split()[0])
        assert tier != "budget" or row["price"] < 1000, row
        assert tier != "premium" or row["price"] > 900, row


def test_vocabulary_names_match_through_aliases_and_case():
    assert resolve("courses", "computer science") == "Computing"
    assert resolve("products", "Home & Living") == "Home"
    assert resolve("products", "Pet Supplies") is None
    assert course_titles("Marine Archaeology")[0] == "Introduction to Marine Archaeology"


COURSES = """
spec_version: 1
title: t
tables:
  courses:
    rows: 40
    columns:
      course_id: {type: id}
      department: {type: category, values: [Computer Science, Physics, Basket Weaving]}
      title: {type: text, kind: course_title, department: department}
"""


def test_course_titles_belong_to_the_department_and_repeat_only_past_the_list():
    data = generate(spec_of(COURSES), seed=seed_for())
    rows = data.tables["courses"].to_pylist()
    for row in rows:
        titles = course_titles(row["department"])
        assert any(row["title"].endswith(t) for t in titles), row
    for department in ("Computer Science", "Physics", "Basket Weaving"):
        mine = [r["title"] for r in rows if r["department"] == department]
        if len(mine) <= len(course_titles(department)):
            assert len(set(mine)) == len(mine), department


def test_job_titles_need_a_self_reference():
    text = HIERARCHY.replace("hierarchy: manager_id", "hierarchy: employee_id").split(
        "    constraints:"
    )[0]
    with pytest.raises(SpecError, match="is not a foreign key of employees to itself"):
        generate(spec_of(text), seed=seed_for())


def test_job_titles_follow_the_level():
    spec = spec_of(HIERARCHY.split("    constraints:")[0])
    data = generate(spec, seed=seed_for())
    rows = _sql(
        data,
        """
        SELECT e.job_title, e.manager_id IS NULL,
               EXISTS (SELECT 1 FROM employees r WHERE r.manager_id = e.employee_id)
        FROM employees e
        """,
    )
    assert [t for t, root, _ in rows if root] == ["Chief Executive Officer"]
    managers = {t for t, root, reports in rows if reports and not root}
    staff = {t for t, root, reports in rows if not reports}
    assert managers <= {"Vice President", "Senior Director", "Director", "Senior Manager",
                        "Manager", "Team Lead"}  # fmt: skip
    assert not staff & managers and staff


# --- category adjustments ------------------------------------------------------------

VISITS = """
spec_version: 1
title: t
tables:
  patients:
    rows: 300
    columns:
      patient_id: {type: id}
      sex: {type: category, values: [F, M]}
      birth_date: {type: date, start: 1940-01-01, end: 2020-12-31}
  visits:
    columns:
      visit_id: {type: id}
      patient_id: {type: foreign_key, references: patients, per_parent: {kind: fixed, n: 10}}
      visit_date: {type: date, start: 2022-01-01, end: 2024-12-31}
      nights: {type: integer, distribution: {kind: poisson, mean: 1}, min: 0}
      reason:
        type: category
        values: [Check-up, Maternity, Cardiac, Injury]
        given: patients.sex
        conditional:
          - {when: F, weights: [5, 3, 2, 2]}
%s
    constraints:
      # Also keeps patients.birth_date at hand for the rules that read it.
      - {kind: order, left: visit_date, op: ">=", right: patients.birth_date}
"""
RULES = """
          - {values: [Maternity], factor: 0, column: patients.sex, equals: [M]}
          - {values: [Maternity], factor: 0, column: patients.birth_date, max: 1975-01-01}
          - {values: [Cardiac], factor: 0, column: patients.birth_date, min: 2012-01-01}
          - {values: [Check-up], factor: 0, column: nights, min: 1}"""


def _visits(*rules: str) -> str:
    block = "        adjust:" + "".join(rules) if rules else ""
    return VISITS % block


def test_adjustments_combine_across_a_foreign_key_and_bands():
    data = generate(spec_of(_visits(RULES)), seed=seed_for())
    [(bad, women, checkups_by_day)] = _sql(
        data,
        """
        SELECT count(*) FILTER (WHERE (v.reason = 'Maternity'
                                       AND (p.sex = 'M' OR p.birth_date < DATE '1975-01-01'))
                                   OR (v.reason = 'Cardiac' AND p.birth_date >= DATE '2012-01-01')
                                   OR (v.reason = 'Check-up' AND v.nights >= 1)),
               count(*) FILTER (WHERE v.reason = 'Maternity'),
               count(*) FILTER (WHERE v.reason = 'Check-up')
        FROM visits v JOIN patients p USING (patient_id)
        """,
    )
    assert bad == 0
    assert women > 0 and checkups_by_day > 0  # the rules remove values only where they apply


def test_rules_that_leave_no_value_keep_the_unadjusted_draw():
    rules = "\n          - {values: [Check-up, Maternity, Cardiac, Injury], factor: 0, column: nights, min: 0}"
    plain = generate(spec_of(_visits()), seed=seed_for()).tables["visits"].column("reason")
    none_left = generate(spec_of(_visits(rules)), seed=seed_for()).tables["visits"].column("reason")
    assert plain.equals(none_left)


def test_unmatched_rows_keep_their_weights():
    # Without any rule matching, the adjusted column draws exactly as before.
    plain = _visits()
    never = _visits("\n          - {values: [Cardiac], factor: 0, column: nights, min: 99}")
    a = generate(spec_of(plain), seed=seed_for()).tables["visits"].column("reason")
    b = generate(spec_of(never), seed=seed_for()).tables["visits"].column("reason")
    assert a.equals(b)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{values: [Flu], factor: 0, column: nights, min: 1}", "'Flu' is not one of `values`"),
        ("{values: [Cardiac], factor: 0, column: nights}", "give `equals`, or a band"),
        ("{values: [Cardiac], factor: 0, column: nights, min: 3, max: 1}", "`min` must be below"),
        (
            "{values: [Cardiac], factor: 0, column: nights, equals: ['1'], min: 1}",
            "either `equals` or a `min`/`max` band",
        ),
    ],
)
def test_a_malformed_adjustment_is_refused(rule, message):
    text = _visits("\n          - " + rule)
    with pytest.raises(SpecError, match=message):
        spec_of(text)


def test_a_band_of_the_wrong_unit_names_the_rule():
    text = _visits(
        "\n          - {values: [Cardiac], factor: 0, column: patients.birth_date, min: 10}"
    )
    with pytest.raises(SpecError) as info:
        generate(spec_of(text), seed=seed_for())
    assert info.value.path == "tables.visits.columns.reason.adjust.0"
    assert "dates" in info.value.message


def test_around_the_clock_needs_business_hours_and_a_known_column():
    base = """
spec_version: 1
title: t
tables:
  visits:
    rows: 5
    columns:
      visit_id: {type: id}
      ward: {type: category, values: [Emergency, General]}
      admitted_at: {type: timestamp, start: 2024-01-01, end: 2024-12-31, %s}
"""
    with pytest.raises(SpecError, match="applies with `business_hours: true` only"):
        spec_of(base % "around_the_clock: {column: ward, equals: [Emergency]}")
    with pytest.raises(SpecError) as info:
        spec_of(base % "business_hours: true, around_the_clock: {column: wing, equals: [A]}")
    assert info.value.path == "tables.visits.columns.admitted_at.around_the_clock.column"
