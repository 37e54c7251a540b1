"""Golden digests: the example specs generate the values recorded for this engine version."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from datagen_lti.synth import ENGINE_VERSION
from tests.golden import refresh
from tests.golden.digests import (
    DIGESTS_FILE,
    LEARNERS,
    REFRESH_COMMAND,
    canonical_values,
    changed_values,
    column_digest,
    learner_entry,
    read_digests,
    spec_file_sha256,
    table_digest,
)
from tests.synth.conftest import EXAMPLE_SPECS

BUMP = (
    f"if intended, bump ENGINE_VERSION in datagen_lti/synth/version.py and run `{REFRESH_COMMAND}`"
)


def _recorded_version() -> dict:
    recorded = read_digests().get(ENGINE_VERSION)
    if recorded is None:
        pytest.fail(
            f"{DIGESTS_FILE.name} has no golden digests for ENGINE_VERSION {ENGINE_VERSION}; "
            f"run `{REFRESH_COMMAND}` to record them"
        )
    return recorded


def test_the_current_engine_version_has_digests_for_every_example_spec():
    recorded = _recorded_version()
    stale = sorted(set(recorded) - {path.stem for path in EXAMPLE_SPECS})
    assert not stale, f"digests of removed example specs {stale}: run `{REFRESH_COMMAND}`"


@pytest.mark.parametrize("path", EXAMPLE_SPECS, ids=lambda p: p.stem)
def test_generated_values_match_the_golden_digests(path):
    recorded = _recorded_version().get(path.stem)
    if recorded is None:
        pytest.fail(
            f"no golden digests for example spec {path.stem} under engine {ENGINE_VERSION}; "
            f"run `{REFRESH_COMMAND}`"
        )
    if recorded["spec_file_sha256"] != spec_file_sha256(path):
        pytest.fail(
            f"example spec {path.name} changed since its digests were recorded; "
            f"run `{REFRESH_COMMAND}` (a spec edit needs no ENGINE_VERSION bump)"
        )
    problems = []
    for learner in LEARNERS:
        current = learner_entry(path, learner)
        old = recorded["learners"].get(learner)
        if old is None:
            problems.append(f"no digests for learner {learner}; run `{REFRESH_COMMAND}`")
        elif old != current:
            changes = "; ".join(changed_values(old, current))
            problems.append(
                f"generated values changed for spec {path.stem} learner {learner} "
                f"({changes}); {BUMP}"
            )
    if problems:
        pytest.fail("\n".join(problems))


# --- The digest itself ---------------------------------------------------------------------


def _one_column(values, data_type=None) -> pa.Table:
    return pa.table({"x": pa.array(values, type=data_type)})


def test_the_digest_does_not_depend_on_chunks_or_dictionary_encoding():
    whole = _one_column(["a", "b", None, "a"])
    chunked = pa.Table.from_batches(whole.to_batches(max_chunksize=1))
    encoded = pa.table({"x": whole.column("x").combine_chunks().dictionary_encode()})
    assert chunked.column("x").num_chunks == 4
    assert table_digest(chunked) == table_digest(whole) == table_digest(encoded)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (_one_column([1.0, 2.0]), _one_column([1.0, 2.0000000000000004])),
        (_one_column([0.0]), _one_column([-0.0])),
        (_one_column([float("nan")]), _one_column([None], pa.float64())),
        (_one_column(["None"]), _one_column([None], pa.string())),
        (_one_column([1, 2]), _one_column([1.0, 2.0])),
        (_one_column([1, 2]), pa.table({"y": [1, 2]})),
        (pa.table({"a": [1], "b": [2]}), pa.table({"b": [2], "a": [1]})),
        (_one_column([True]), _one_column([1])),
        (_one_column([], pa.int64()), _one_column([None], pa.int64())),
    ],
    ids=[
        "last-bit",
        "signed-zero",
        "nan-null",
        "text-null",
        "int-float",
        "name",
        "order",
        "bool-int",
        "rows",
    ],
)
def test_any_change_of_value_type_name_or_order_changes_the_digest(one, other):
    assert table_digest(one) != table_digest(other)


def test_dates_and_timestamps_are_digested_as_ticks():
    dates = pa.array([dt.date(1970, 1, 2), None], pa.date32())
    micros = pa.array([dt.datetime(1970, 1, 1, 0, 0, 0, 3)], pa.timestamp("us"))
    nanos = pa.array([1, 2], pa.timestamp("ns"))
    assert canonical_values(dates) == [1, None]
    assert canonical_values(micros) == [3]
    assert canonical_values(nanos) == [1, 2]  # no conversion that drops nanoseconds
    # The same ticks in another unit are another instant.
    assert column_digest("t", micros) != column_digest("t", pa.array([3], pa.timestamp("ms")))


def test_floats_are_kept_to_the_last_bit():
    assert canonical_values(pa.array([0.1, -0.0, float("inf"), None])) == [
        "0.1",
        "-0.0",
        "inf",
        None,
    ]


def test_a_type_without_a_canonical_form_is_refused():
    with pytest.raises(TypeError, match="no canonical form"):
        column_digest("x", pa.array([b"\x00"], pa.binary()))


def test_a_message_names_what_changed():
    old = {"sub_seed": 0, "row_counts": {"t": 2}, "tables": {"t": "a", "u": "b"}}
    new = {"sub_seed": 1, "row_counts": {"t": 2}, "tables": {"t": "a", "u": "c"}}
    assert changed_values(old, new) == ["sub_seed 0 -> 1", "tables u"]


# --- Refreshing ----------------------------------------------------------------------------


def _spec_entry(digest: str, spec_sha: str = "s1") -> dict:
    learner = {"sub_seed": 0, "row_counts": {"t": 1}, "tables": {"t": digest}}
    return {"spec_file_sha256": spec_sha, "learners": {"ada": learner}}


def test_the_refresh_command_runs_the_refresh_module():
    assert REFRESH_COMMAND.split() == ["python", "-m", refresh.__name__]


def test_refresh_adds_the_current_version_and_keeps_the_older_ones():
    older = {"1.0": {"retail": _spec_entry("old")}}
    merged, notes = refresh.merge(older, "2.0", {"retail": _spec_entry("new")})
    assert merged == {"1.0": {"retail": _spec_entry("old")}, "2.0": {"retail": _spec_entry("new")}}
    assert notes == ["recorded engine 2.0: retail"]


def test_refresh_follows_an_edited_spec_file_within_a_version():
    recorded = {"2.0": {"retail": _spec_entry("a", "s1"), "gone": _spec_entry("g")}}
    current = {"retail": _spec_entry("b", "s2"), "fresh": _spec_entry("f")}
    merged, notes = refresh.merge(recorded, "2.0", current)
    assert merged == {"2.0": current}
    assert notes == [
        "fresh: new example spec",
        "retail: spec file changed",
        "gone: example spec removed",
    ]


def test_refresh_refuses_changed_values_of_an_unchanged_spec_without_a_version_bump():
    recorded = {"2.0": {"retail": _spec_entry("a")}}
    with pytest.raises(refresh.RefreshRefused) as info:
        refresh.merge(recorded, "2.0", {"retail": _spec_entry("b")})
    assert "retail learner ada (tables t)" in str(info.value)
    assert "Bump ENGINE_VERSION" in str(info.value)

    merged, _ = refresh.merge(recorded, "2.0", {"retail": _spec_entry("b")}, replace=True)
    assert merged == {"2.0": {"retail": _spec_entry("b")}}


def test_the_refresh_command_writes_the_current_version_once(tmp_path, monkeypatch, capsys):
    path = tmp_path / "digests.json"
    path.write_text(json.dumps({"0.9": {"retail": _spec_entry("old")}}))
    monkeypatch.setattr(refresh, "current_entries", lambda: {"retail": _spec_entry("new")})

    assert refresh.main(["--file", str(path)]) == 0
    written = path.read_text()
    assert refresh.main(["--file", str(path)]) == 0

    assert json.loads(written) == {
        "0.9": {"retail": _spec_entry("old")},
        ENGINE_VERSION: {"retail": _spec_entry("new")},
    }
    assert path.read_text() == written
    assert "up to date" in capsys.readouterr().out
