"""Every admin page loads: list, add and change, for each registered model."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from tests import factories


@pytest.fixture
def populated(db) -> None:
    factories.submission()
    factories.enrollment()
    factories.job_run()


@pytest.mark.parametrize(
    "model",
    # Unmanaged entries (django-rq's dashboard link) have no table to list.
    sorted((m for m in admin.site._registry if m._meta.managed), key=lambda m: m._meta.label),
    ids=lambda m: m._meta.label,
)
def test_admin_pages_load(admin_client, populated, model) -> None:
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client.get(changelist).status_code == 200
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="admin")
    can_add = admin.site._registry[model].has_add_permission(request)
    response = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert response.status_code == (200 if can_add else 403)
    instance = model._default_manager.first()
    if instance is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
        assert admin_client.get(change).status_code == 200


def test_jobrun_admin_can_queue_a_probe(admin_client, db) -> None:
    from courses.models import JobRun

    response = admin_client.post(reverse("admin:courses_jobrun_probe"))
    assert response.status_code == 302
    assert JobRun.objects.filter(kind="system_probe").exists()
