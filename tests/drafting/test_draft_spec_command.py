"""The draft_spec management command: drafts as the instructor page does, writes a usable spec."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from datagen_lti.grading import load_questions
from datagen_lti.synth import load_spec_file
from tests.drafting.chat_server import spec_reply
from tests.drafting.conftest import VALID_SPEC

OBJECTIVES = "Find the customers who never placed an order, and rank products by rating with ties."


@pytest.fixture
def offline_settings(settings):
    settings.OPENAI_API_KEY = ""
    return settings


def _draft(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("draft_spec", *args, stdout=out)
    return out.getvalue()


def test_offline_draft_loads_generates_and_carries_its_rationale(offline_settings, tmp_path):
    spec_path = tmp_path / "spec.yaml"
    questions_path = tmp_path / "spec.questions.yaml"
    printed = _draft(
        "--objectives",
        OBJECTIVES,
        "--title",
        "Week 4",
        "--out",
        str(spec_path),
        "--questions-out",
        str(questions_path),
    )
    text = spec_path.read_text(encoding="utf-8")
    head = text.split("\n\n", 1)[0]
    assert head.startswith("# Drafted from these learning objectives:")
    assert "# Why this draft: Chose the template retail.yaml" in text
    assert "# - childless_parent: " in text and "# - ties: " in text
    spec = load_spec_file(spec_path)
    assert spec.title == "Week 4"
    assert any(c.description.startswith("[ties]") for c in spec.checks)
    assert load_questions(questions_path.read_text(encoding="utf-8")).questions
    assert "from the example templates" in printed

    call_command(
        "generate",
        str(spec_path),
        "--learner",
        "ada",
        "--assignment",
        "a1",
        "--out",
        str(tmp_path / "data"),
        "--file-format",
        "csv",
    )
    assert (tmp_path / "data" / "customers.csv").is_file()


def test_an_objectives_file_works_like_the_text(offline_settings, tmp_path):
    source = tmp_path / "objectives.txt"
    source.write_text(OBJECTIVES + "\n", encoding="utf-8")
    _draft("--objectives-file", str(source), "--out", str(tmp_path / "a.yaml"))
    _draft("--objectives", OBJECTIVES, "--out", str(tmp_path / "b.yaml"))
    first, second = ((tmp_path / n).read_text(encoding="utf-8") for n in ("a.yaml", "b.yaml"))
    assert first == second


def test_the_language_model_drafts_when_configured(settings, chat_server, tmp_path):
    server = chat_server(spec_reply(VALID_SPEC))
    settings.OPENAI_API_KEY = "test"
    settings.OPENAI_BASE_URL = server.base_url
    settings.OPENAI_MODEL = "test-model"
    spec_path = tmp_path / "llm.yaml"
    printed = _draft(
        "--objectives",
        "Join orders to customers and find the customers who never ordered.",
        "--out",
        str(spec_path),
    )
    assert "from the language model" in printed
    assert load_spec_file(spec_path).title == VALID_SPEC["title"]
    assert "# Why this draft: Drafted by the language model test-model" in spec_path.read_text()
    assert len(server.requests) == 1


def test_offline_is_used_when_asked_even_with_a_model_configured(settings, closed_port, tmp_path):
    settings.OPENAI_API_KEY = "test"
    settings.OPENAI_BASE_URL = f"http://127.0.0.1:{closed_port}/v1"  # unreachable if used
    _draft("--objectives", OBJECTIVES, "--offline", "--out", str(tmp_path / "s.yaml"))
    assert "retail.yaml" in (tmp_path / "s.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objectives", "joins"], "Write a sentence or two"),
        (["--objectives-file", "{tmp}/missing.txt"], "does not exist"),
        (["--objectives", OBJECTIVES, "--out", "{tmp}/no/such/dir/s.yaml"], "does not exist"),
        (
            ["--objectives", OBJECTIVES, "--questions-out", "{tmp}/s.yaml"],
            "must be different files",
        ),
        (["--objectives", OBJECTIVES, "--title", "x" * 201], "keep it under 200"),
    ],
)
def test_bad_input_is_a_clear_error(offline_settings, tmp_path, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "s.yaml")]
    with pytest.raises(CommandError, match=message):
        _draft(*args)
    assert not (tmp_path / "s.yaml").exists()


def test_a_file_that_is_not_text_is_refused(offline_settings, tmp_path):
    source = tmp_path / "objectives.txt"
    source.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(CommandError, match="not UTF-8"):
        _draft("--objectives-file", str(source), "--out", str(tmp_path / "s.yaml"))


def test_the_objectives_are_required(offline_settings, tmp_path):
    with pytest.raises(CommandError, match="objectives"):
        _draft("--out", str(tmp_path / "s.yaml"))
