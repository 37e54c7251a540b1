"""Starting a spec from a database schema: paste CREATE TABLE statements, review, save a draft."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from courses.lti.access import instructor_required
from courses.models import SpecVersion
from courses.services.specs import spec_version_save_and_check
from datagen_lti.authoring.ddl import DdlError, DdlImport, ddl_import_yaml, spec_from_ddl
from datagen_lti.synth import SpecError

MAX_DDL_CHARS = 500_000
DIALECT_CHOICES = [
    ("", "Guess from the script"),
    ("postgres", "PostgreSQL"),
    ("mysql", "MySQL / MariaDB"),
    ("sqlite", "SQLite"),
    ("tsql", "SQL Server (T-SQL)"),
]


class DdlImportForm(forms.Form):
    ddl = forms.CharField(
        label="CREATE TABLE statements",
        widget=forms.Textarea(
            attrs={"rows": 20, "spellcheck": "false", "class": "code", "data-editor": "text/x-sql"}
        ),
        max_length=MAX_DDL_CHARS,
        strip=False,
    )
    dialect = forms.ChoiceField(label="Dialect", choices=DIALECT_CHOICES, required=False)
    title = forms.CharField(label="Title of the spec", max_length=200, required=False)


def _page(
    request: HttpRequest,
    form: DdlImportForm,
    *,
    result: DdlImport | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "courses/instructor_import_ddl.html",
        {
            "assignment": request.assignment,
            "form": form,
            "result": result,
            "yaml": ddl_import_yaml(result, source="the pasted schema") if result else "",
            "error": error,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@instructor_required
def instructor_import_ddl(request: HttpRequest, assignment_uuid: UUID) -> HttpResponse:
    """Paste a schema, see the spec made from it with its notes, save it as a draft version."""
    if request.method == "GET":
        return _page(request, DdlImportForm(initial={"title": request.assignment.title}))
    form = DdlImportForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    data = form.cleaned_data
    try:
        result = spec_from_ddl(
            data["ddl"], dialect=data["dialect"] or None, title=data["title"] or None
        )
    except DdlError as exc:
        return _page(request, form, error=exc.message, status=400)
    if request.POST.get("action") != "save":
        return _page(request, form, result=result)
    text = ddl_import_yaml(result, source="a pasted database schema")
    try:
        version = spec_version_save_and_check(
            assignment=request.assignment,
            text=text,
            source=SpecVersion.Source.MANUAL,
            created_by=request.learner,
        )
    except SpecError as exc:
        # The importer validates what it makes; this guards the site's own size limits.
        return _page(request, form, result=result, error=str(exc), status=400)
    messages.success(
        request,
        f"Imported {len(result.spec.tables)} tables as version {version.number}; checking it "
        "now. The notes are comments at the top of the spec.",
    )
    url = reverse("courses:instructor_assignment", kwargs={"assignment_uuid": assignment_uuid})
    return HttpResponseRedirect(f"{url}#checks")
