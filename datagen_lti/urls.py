"""Top-level URLs: the admin, health, the job dashboard and the tool's pages."""

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

from courses.views.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
    path("", include("courses.urls")),
]
if apps.is_installed("demo_lms"):  # demo mode only
    urlpatterns.append(path("demo/", include("demo_lms.urls")))
