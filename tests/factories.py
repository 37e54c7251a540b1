"""Small model factories: valid rows with sensible defaults, overridable by keyword."""

from __future__ import annotations

import functools
import itertools
import json
from typing import Any

from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool, LtiToolKey

from courses.lti.keys import generate_rsa_pair
from courses.models import (
    Assignment,
    Course,
    DatasetSpec,
    Enrollment,
    IssuedDataset,
    JobRun,
    Learner,
    SpecVersion,
    Submission,
)
from datagen_lti.synth import ENGINE_VERSION

_counter = itertools.count(1)


def _n() -> int:
    return next(_counter)


@functools.cache
def rsa_key_pair() -> tuple[str, str]:
    """One RSA key pair (private PEM, public PEM), made once per test run."""
    return generate_rsa_pair()


def tool_key(**kwargs: Any) -> LtiToolKey:
    private, public = rsa_key_pair()
    defaults = {"name": f"key-{_n()}", "private_key": private, "public_key": public}
    return LtiToolKey.objects.create(**{**defaults, **kwargs})


def registration(**kwargs: Any) -> LtiTool:
    n = _n()
    defaults: dict[str, Any] = {
        "title": f"Platform {n}",
        "issuer": f"https://lms{n}.example.edu",
        "client_id": f"client-{n}",
        "auth_login_url": f"https://lms{n}.example.edu/auth",
        "auth_token_url": f"https://lms{n}.example.edu/token",
        "key_set_url": f"https://lms{n}.example.edu/jwks",
        "deployment_ids": json.dumps(["1"]),
    }
    if "tool_key" not in kwargs:
        defaults["tool_key"] = tool_key()
    return LtiTool.objects.create(**{**defaults, **kwargs})


def course(**kwargs: Any) -> Course:
    n = _n()
    if "registration" not in kwargs:
        kwargs["registration"] = registration()
    return Course.objects.create(**{"context_id": f"ctx-{n}", "title": f"Course {n}", **kwargs})


def learner(**kwargs: Any) -> Learner:
    n = _n()
    if "registration" not in kwargs:
        kwargs["registration"] = registration()
    defaults = {"sub": f"sub-{n}", "name": f"Learner {n}", "email": f"learner{n}@example.edu"}
    return Learner.objects.create(**{**defaults, **kwargs})


def enrollment(**kwargs: Any) -> Enrollment:
    if "course" not in kwargs:
        kwargs["course"] = course()
    if "learner" not in kwargs:
        kwargs["learner"] = learner(registration=kwargs["course"].registration)
    return Enrollment.objects.create(**{"role": Enrollment.Role.LEARNER, **kwargs})


def assignment(**kwargs: Any) -> Assignment:
    n = _n()
    if "course" not in kwargs:
        kwargs["course"] = course()
    defaults = {"title": f"Assignment {n}", "resource_link_id": f"rl-{n}"}
    return Assignment.objects.create(**{**defaults, **kwargs})


def dataset_spec(**kwargs: Any) -> DatasetSpec:
    if "assignment" not in kwargs:
        kwargs["assignment"] = assignment()
    return DatasetSpec.objects.create(**{"objectives": "Practise joins.", **kwargs})


def spec_version(**kwargs: Any) -> SpecVersion:
    if "spec" not in kwargs:
        kwargs["spec"] = dataset_spec()
    spec = kwargs["spec"]
    defaults: dict[str, Any] = {
        "number": spec.versions.count() + 1,
        "document": {"spec_version": 1, "title": "Example", "tables": []},
        "sha256": "0" * 64,
    }
    if kwargs.get("status") == SpecVersion.Status.APPROVED:
        defaults["approved_at"] = timezone.now()
    return SpecVersion.objects.create(**{**defaults, **kwargs})


def issued_dataset(**kwargs: Any) -> IssuedDataset:
    if "spec_version" not in kwargs:
        kwargs["spec_version"] = spec_version(status=SpecVersion.Status.APPROVED)
    version = kwargs["spec_version"]
    kwargs.setdefault("assignment", version.spec.assignment)
    if "learner" not in kwargs:
        kwargs["learner"] = learner(registration=kwargs["assignment"].course.registration)
    defaults = {
        "spec_sha256": version.sha256,
        "engine_version": ENGINE_VERSION,
        "seed_fingerprint": "f" * 16,
    }
    return IssuedDataset.objects.create(**{**defaults, **kwargs})


def submission(**kwargs: Any) -> Submission:
    if "issued_dataset" not in kwargs:
        kwargs["issued_dataset"] = issued_dataset()
    issued = kwargs["issued_dataset"]
    kwargs.setdefault("assignment", issued.assignment)
    kwargs.setdefault("learner", issued.learner)
    return Submission.objects.create(**{"answers": {}, **kwargs})


def job_run(**kwargs: Any) -> JobRun:
    return JobRun.objects.create(**{"kind": "system_probe", **kwargs})
