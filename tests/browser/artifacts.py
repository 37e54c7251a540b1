"""Where browser tests keep their screenshots, so that they outlive the run.

``$DATAGEN_TEST_ARTIFACTS/<test name>/`` when that variable is set (a CI job uploads the
folder), else ``var/test-artifacts/<test name>/`` in the checkout (``var/`` is git-ignored).
Each test's folder is emptied when it starts, so it holds that run's pictures only.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def artifacts_root() -> Path:
    """The folder holding every test's artefacts."""
    configured = os.environ.get("DATAGEN_TEST_ARTIFACTS", "").strip()
    return Path(configured) if configured else ROOT / "var" / "test-artifacts"


def artifact_dir(request: pytest.FixtureRequest) -> Path:
    """This test's own, freshly emptied folder of artefacts."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-") or "test"
    folder = artifacts_root() / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshooter(page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot(name)`` saves a full-page screenshot of ``page`` as ``<name>.png``; returns its path.

    ``shot(name, locator)`` saves only that element (a close-up of a chart, say).
    """
    folder = artifact_dir(request)

    def shot(name: str, locator=None) -> Path:
        path = folder / f"{name}.png"
        if locator is None:
            page.screenshot(path=str(path), full_page=True)
        else:
            locator.screenshot(path=str(path))
        return path

    return shot
