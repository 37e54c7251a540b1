"""Requirements, the Makefile's installs, the image and the compose file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.project.test_settings import ROOT

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TEST_TOOLS = {"pytest", "pytest-django", "hypothesis", "frictionless", "pymysql", "playwright"}
LINT_TOOLS = {"ruff"}


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def pinned(name: str) -> dict[str, str]:
    """Package name (lower case, extras dropped) -> version, for the pins of one file."""
    pins = {}
    for line in requirement_lines(name):
        if line.startswith("-r "):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]+\])?==([^\s;]+)", line)
        assert match, f"{name}: {line!r} is not pinned with =="
        pins[match.group(1).lower()] = match.group(3)
    return pins


def test_runtime_requirements_leave_out_the_test_and_lint_tools() -> None:
    runtime = pinned("requirements.txt")
    assert not (TEST_TOOLS | LINT_TOOLS) & set(runtime)
    assert runtime["torch"] == "2.13.0"
    assert {"django", "gunicorn", "sdv", "lti1p3platform"} <= set(runtime)


def test_dev_requirements_are_the_runtime_ones_plus_the_tools() -> None:
    assert requirement_lines("requirements-dev.txt")[0] == "-r requirements.txt"
    dev = pinned("requirements-dev.txt")
    assert set(dev) >= TEST_TOOLS | LINT_TOOLS
    assert not set(dev) & set(pinned("requirements.txt")), "pinned twice"


# --- Docker image ------------------------------------------------------------------


def dockerfile() -> str:
    return (ROOT / "docker" / "Dockerfile").read_text()


def test_the_image_installs_the_cpu_build_of_torch_before_the_rest() -> None:
    text = dockerfile()
    assert f"ARG TORCH_INDEX_URL={CPU_INDEX}\n" in text
    torch_step = text.index("""pip install "$(grep -E '^torch==' requirements.txt)" """)
    assert '--index-url "$TORCH_INDEX_URL"' in text[torch_step : text.index("\n", torch_step)]
    assert torch_step < text.index("pip install -r requirements.txt")
    # The grep finds exactly the one pin the image then installs.
    pins = [line for line in requirement_lines("requirements.txt") if re.match("torch==", line)]
    assert pins == ["torch==2.13.0"]


def test_the_image_installs_only_the_runtime_requirements() -> None:
    instructions = [line for line in dockerfile().splitlines() if not line.startswith("#")]
    assert not [line for line in instructions if "requirements-dev" in line]
    assert "COPY requirements.txt ." in instructions


# --- Compose ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())


def test_compose_services_wait_for_healthy_dependencies(compose) -> None:
    services = compose["services"]
    assert set(services) == {"web", "worker", "postgres", "redis"}
    assert services["web"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["worker"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    for name in ("web", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}, name


def test_compose_web_probe_is_the_loopback_healthz(compose) -> None:
    test = compose["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "urlopen('http://127.0.0.1:8000/healthz'" in test[3]


def test_compose_worker_runs_every_queue_with_the_scheduler(compose) -> None:
    command = compose["services"]["worker"]["command"].split()
    assert command[:3] == ["python", "manage.py", "rqworker"]
    assert {"default", "generation", "grades", "--with-scheduler"} <= set(command[3:])


def test_compose_runs_production_settings(compose) -> None:
    for name in ("web", "worker"):
        environment = compose["services"][name]["environment"]
        assert environment["DJANGO_DEBUG"] == "0"
        assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"


def docker_compose_available() -> bool:
    if not shutil.which("docker"):
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not docker_compose_available(), reason="docker compose is not installed")
def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    example = (ROOT / "docker" / "env.example").read_text()
    env_file.write_text(
        example.replace("DJANGO_SECRET_KEY=\n", "DJANGO_SECRET_KEY=" + "s" * 60 + "\n").replace(
            "DATAGEN_SEED_SECRET=\n", "DATAGEN_SEED_SECRET=seed\n"
        )
    )
    result = subprocess.run(
        ["docker", "compose", "-f", "docker/compose.yaml", "--env-file", str(env_file)]
        + ["config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# --- Makefile -----------------------------------------------------------------------


def make_dry_run(target: str, venv: Path, **variables: str) -> str:
    """The commands `make -n target` would run, with the virtualenv at ``venv``."""
    assignments = [f"{key}={value}" for key, value in {"VENV": str(venv), **variables}.items()]
    env = {key: value for key, value in os.environ.items() if key != "TORCH_INDEX_URL"}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "-C", str(ROOT), target, *assignments],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A virtualenv as `make` sees it: the interpreter exists, nothing installed yet."""
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").touch()
    return tmp_path / "venv"


needs_make = pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")


@needs_make
def test_make_run_installs_the_runtime_requirements_and_shows_progress(venv: Path) -> None:
    commands = make_dry_run("run", venv)
    assert f"{venv}/bin/pip install -r requirements.txt\n" in commands
    assert "requirements-dev.txt" not in commands
    assert "--quiet -r" not in commands
    assert "minutes" in commands  # says how long the first install takes
    assert "--index-url" not in commands


@needs_make
def test_make_test_installs_the_dev_requirements_after_make_run(venv: Path) -> None:
    (venv / ".installed-runtime").touch()  # what `make run` left
    assert "pip install" not in make_dry_run("run", venv)
    commands = make_dry_run("test", venv)
    assert f"{venv}/bin/pip install -r requirements-dev.txt\n" in commands
    assert f"{venv}/bin/python -m pytest" in commands


@needs_make
def test_make_install_covers_make_run(venv: Path) -> None:
    (venv / ".installed-runtime").touch()
    (venv / ".installed-dev").touch()
    assert "pip install" not in make_dry_run("run", venv)
    assert "pip install" not in make_dry_run("test", venv)


@needs_make
def test_torch_index_url_installs_the_cpu_build_first(venv: Path) -> None:
    commands = make_dry_run("install", venv, TORCH_INDEX_URL=CPU_INDEX).splitlines()
    torch = commands.index(f'{venv}/bin/pip install "torch==2.13.0" --index-url {CPU_INDEX}')
    assert commands.index(f"{venv}/bin/pip install -r requirements-dev.txt") > torch


def test_ci_installs_the_dev_requirements() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "make install" in script
    makefile = (ROOT / "Makefile").read_text()
    assert "install: $(VENV)/.installed-dev" in makefile
