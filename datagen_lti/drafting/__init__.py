"""Drafting: learning objectives -> a draft spec, by a language model or from example templates.

Plain Python: nothing here imports Django. The openai SDK is imported only
when a language model is used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from datagen_lti.drafting.draft import (
    MAX_OBJECTIVES_CHARS,
    Draft,
    DraftError,
    clean_objectives,
    clean_title,
)
from datagen_lti.drafting.offline import draft_offline

__all__ = [
    "MAX_OBJECTIVES_CHARS",
    "Draft",
    "DraftError",
    "draft_offline",
    "draft_spec",
]

MAX_RETRIES = 1  # the SDK's own retry (with backoff) of 429s, 5xx and dropped connections


def draft_spec(
    objectives: str,
    *,
    api_key: str | None,
    base_url: str | None,
    model: str,
    title: str | None = None,
    timeout: float = 60.0,
    max_repairs: int = 2,
    progress: Callable[[float, str], None] | None = None,
    examples_dir: Path | str | None = None,
) -> Draft:
    """Draft with the language model when ``api_key`` is set, else from the example templates."""
    objectives = clean_objectives(objectives)
    title = clean_title(title)
    if not api_key:
        return draft_offline(objectives, title=title, examples_dir=examples_dir)
    if not (model or "").strip():
        raise DraftError(
            "No language model is configured; set OPENAI_MODEL (for example gpt-4.1-mini).",
            reason="not_found",
        )
    import openai

    from datagen_lti.drafting.llm import draft_with_llm

    client = openai.OpenAI(
        api_key=api_key, base_url=base_url or None, timeout=timeout, max_retries=MAX_RETRIES
    )
    try:
        return draft_with_llm(
            objectives,
            client=client,
            model=model.strip(),
            max_repairs=max_repairs,
            progress=progress,
            title=title,
        )
    finally:
        client.close()
