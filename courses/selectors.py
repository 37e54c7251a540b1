"""Reads: what pages show."""

from __future__ import annotations

from typing import Any

from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.models import Assignment, Course, IssuedDataset, Learner


def tool_overview() -> dict[str, Any]:
    """Counts an administrator sees on the landing page."""
    return {
        "registrations": LtiTool.objects.filter(is_active=True).count(),
        "courses": Course.objects.count(),
        "assignments": Assignment.objects.count(),
        "learners": Learner.objects.count(),
        "issued": IssuedDataset.objects.count(),
    }
