from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from pylti1p3.contrib.django.lti1p3_tool_config.admin import LtiToolAdmin
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from courses.jobs import job_enqueue_once
from courses.lti.ags import submission_passback_request
from courses.lti.invites import DEFAULT_HOURS, MAX_HOURS, invite_url, registration_invite_create
from courses.lti.platform_check import HEALTH_STALE_AFTER, platform_check, platform_statuses
from courses.middleware import forget_frame_ancestors
from courses.models import (
    Assignment,
    Course,
    DatasetSpec,
    Enrollment,
    GradePassbackAttempt,
    IssuedDataset,
    JobRun,
    Learner,
    PlatformHealth,
    PlatformRegistration,
    RegistrationInvite,
    SpecVersion,
    Submission,
    ToolKeyState,
)


def _registration_changed(**kwargs) -> None:
    forget_frame_ancestors()


post_save.connect(_registration_changed, sender=LtiTool, dispatch_uid="frame-ancestors-save")
post_delete.connect(_registration_changed, sender=LtiTool, dispatch_uid="frame-ancestors-del")


# Platform URLs are https; say so rather than rely on Django's changing default.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("__str__", "context_id", "registration", "created_at")
    list_filter = ("registration",)
    search_fields = ("title", "label", "context_id")


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "sub", "registration", "created_at")
    list_filter = ("registration",)
    search_fields = ("name", "email", "sub")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("learner", "course", "role", "source", "last_launch_at")
    list_filter = ("role", "source")
    search_fields = ("learner__name", "learner__email", "course__title")
    raw_id_fields = ("learner", "course")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ("title", "course", "status", "points", "scale", "created_at")
    list_filter = ("status", "course__registration")
    search_fields = ("title", "uuid", "resource_link_id")
    readonly_fields = ("uuid", "created_at", "updated_at")


class SpecVersionInline(admin.TabularInline):
    model = SpecVersion
    extra = 0
    fields = ("number", "status", "source", "sha256", "approved_at", "approved_by")
    readonly_fields = fields
    show_change_link = True
    can_delete = False


@admin.register(DatasetSpec)
class DatasetSpecAdmin(admin.ModelAdmin):
    list_display = ("assignment", "updated_at")
    search_fields = ("assignment__title",)
    inlines = [SpecVersionInline]


@admin.register(SpecVersion)
class SpecVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "source", "sha256", "created_at", "approved_at")
    list_filter = ("status", "source")
    search_fields = ("sha256", "spec__assignment__title")
    readonly_fields = ("sha256", "created_at", "approved_at", "approved_by")
    raw_id_fields = ("spec", "created_by")


@admin.register(IssuedDataset)
class IssuedDatasetAdmin(admin.ModelAdmin):
    list_display = (
        "assignment",
        "learner",
        "variant",
        "is_current",
        "engine_version",
        "issued_at",
        "last_downloaded_at",
    )
    list_filter = ("is_current", "engine_version")
    search_fields = ("learner__name", "learner__email", "assignment__title", "seed_fingerprint")
    readonly_fields = ("issued_at", "spec_sha256", "seed_fingerprint", "file_checksums")
    raw_id_fields = ("assignment", "learner", "spec_version")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = (
        "learner",
        "assignment",
        "attempt",
        "score",
        "max_score",
        "passback_status",
        "submitted_at",
    )
    list_filter = ("passback_status",)
    search_fields = ("learner__name", "learner__email", "assignment__title")
    raw_id_fields = ("assignment", "learner", "issued_dataset")


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "queue", "status", "progress", "requested_at", "finished_at")
    list_filter = ("status", "kind", "queue")
    search_fields = ("kind", "rq_job_id", "error")
    readonly_fields = [field.name for field in JobRun._meta.fields]
    change_list_template = "admin/courses/jobrun/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self):
        return [
            path(
                "probe/",
                self.admin_site.admin_view(self.run_probe),
                name="courses_jobrun_probe",
            ),
            *super().get_urls(),
        ]

    def run_probe(self, request: HttpRequest) -> HttpResponseRedirect:
        """Queue a system probe: proves a worker reaches the database and file storage."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:courses_jobrun_changelist"))
        job_run = job_enqueue_once(kind="system_probe")
        messages.info(request, f"System probe queued as job #{job_run.pk}; refresh to see it.")
        return HttpResponseRedirect(reverse("admin:courses_jobrun_changelist"))


# --- LTI: registrations, keys, grade passback ---------------------------------------


class PlatformRegistrationInline(admin.StackedInline):
    model = PlatformRegistration
    extra = 0
    can_delete = False
    fields = ("source", "platform_name", "product_family_code", "created_at", "updated_at")
    readonly_fields = fields


class PlatformHealthInline(admin.StackedInline):
    model = PlatformHealth
    extra = 0
    can_delete = False
    fields = (
        "key_set_ok_at",
        "key_set_failed_at",
        "key_set_message",
        "token_ok_at",
        "token_failed_at",
        "token_message",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RegistrationAdmin(LtiToolAdmin):
    """pylti1p3's registration admin, with where each registration came from and its checks."""

    list_display = ("title", "is_active", "issuer", "client_id", "deployment_ids", "tool_key")
    list_filter = ("is_active", "details__source")
    inlines = [PlatformRegistrationInline, PlatformHealthInline]
    change_list_template = "admin/courses/registration/change_list.html"

    def get_urls(self):
        return [
            path(
                "checks/",
                self.admin_site.admin_view(self.platform_checks),
                name="courses_platform_checks",
            ),
            path(
                "checks/<int:registration_id>/run/",
                self.admin_site.admin_view(self.platform_check_run),
                name="courses_platform_check_run",
            ),
            *super().get_urls(),
        ]

    def platform_checks(self, request: HttpRequest) -> TemplateResponse:
        """Each registered platform: did its key set and token endpoint answer recently?"""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/courses/platform_checks.html",
            {
                **self.admin_site.each_context(request),
                "title": "Platform checks",
                "opts": self.model._meta,
                "statuses": platform_statuses(),
                "stale_after": HEALTH_STALE_AFTER,
                "now": timezone.now(),
            },
        )

    def platform_check_run(self, request: HttpRequest, registration_id: int):
        """Check now: fetch the platform's key set and ask for a service token."""
        back = HttpResponseRedirect(reverse("admin:courses_platform_checks"))
        if request.method != "POST":
            return back
        if not self.has_change_permission(request):
            raise PermissionDenied
        registration = LtiTool.objects.filter(pk=registration_id).first()
        if registration is None:
            messages.error(request, "That registration no longer exists.")
            return back
        for result in platform_check(registration=registration):
            what = "Key set" if result.endpoint == "key_set" else "Token endpoint"
            level = messages.SUCCESS if result.ok else messages.ERROR
            messages.add_message(request, level, f"{registration.title}: {what}: {result.message}")
        return back


admin.site.unregister(LtiTool)
admin.site.register(LtiTool, RegistrationAdmin)


class RegistrationInviteAddForm(forms.ModelForm):
    hours = forms.IntegerField(
        min_value=1,
        max_value=MAX_HOURS,
        initial=DEFAULT_HOURS,
        help_text="How long the invite stays valid. It registers one platform, once.",
    )

    class Meta:
        model = RegistrationInvite
        fields = ["note"]


@admin.register(RegistrationInvite)
class RegistrationInviteAdmin(admin.ModelAdmin):
    """One-time invites for Dynamic Registration; adding one shows its URL, once."""

    list_display = ("__str__", "note", "created_at", "expires_at", "used_at", "registration")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    search_fields = ("note",)
    readonly_fields = ("token_sha256", "created_at", "used_at", "registration")
    fields = ("note", "expires_at", "token_sha256", "created_at", "used_at", "registration")

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RegistrationInviteAddForm
            kwargs["fields"] = ["note", "hours"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        return ["note", "hours"] if obj is None else list(self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        _, token = registration_invite_create(
            note=obj.note, hours=form.cleaned_data["hours"], invite=obj
        )
        self.message_user(
            request,
            "Paste this registration URL into the LMS (it is shown only now): "
            + invite_url(token, request=request),
            messages.WARNING,
        )


@admin.register(ToolKeyState)
class ToolKeyStateAdmin(admin.ModelAdmin):
    list_display = ("kid", "is_current", "activated_at", "retired_at")
    readonly_fields = ("key", "kid", "is_current", "activated_at", "retired_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # keys are made and rotated with `manage.py lti_keys`


@admin.register(GradePassbackAttempt)
class GradePassbackAttemptAdmin(admin.ModelAdmin):
    list_display = ("submission", "attempted_at", "succeeded", "status_code", "message")
    list_filter = ("succeeded",)
    search_fields = ("submission__learner__name", "message", "lineitem_url")
    readonly_fields = [field.name for field in GradePassbackAttempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.action(description="Read the roster from the LMS (NRPS)")
def course_roster_sync_action(modeladmin, request: HttpRequest, queryset) -> None:
    for course in queryset:
        job_enqueue_once(kind="roster_sync", arguments={"course_id": course.pk})
    messages.info(request, f"Roster reads queued for {queryset.count()} course(s).")


@admin.action(description="Send the scores to the LMS gradebook (AGS)")
def submission_passback_action(modeladmin, request: HttpRequest, queryset) -> None:
    queued = sum(
        submission_passback_request(submission=submission) is not None
        for submission in queryset.filter(score__isnull=False)
    )
    messages.info(request, f"{queued} score(s) queued for the LMS.")


CourseAdmin.actions = [*CourseAdmin.actions, course_roster_sync_action]
SubmissionAdmin.actions = [*SubmissionAdmin.actions, submission_passback_action]
