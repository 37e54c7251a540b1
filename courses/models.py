"""The domain: courses, learners, assignments, specs, issued datasets, grading, jobs.

Platform registrations (issuer, client id, keys, deployments) are pylti1p3's
``LtiTool`` and ``LtiToolKey`` models; everything here hangs off an ``LtiTool``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from pylti1p3.contrib.django.lti1p3_tool_config.models import LtiTool

from datagen_lti.export.formats import FORMATS

EXPORT_FORMATS = FORMATS
DEFAULT_OFFERED_FORMATS = ["xlsx", "csv", "parquet", "sql:postgres", "sqlite"]


def default_offered_formats() -> list[str]:
    return list(DEFAULT_OFFERED_FORMATS)


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Course(TimestampedModel):
    """An LMS course (the LTI context) on one platform registration."""

    registration = models.ForeignKey(LtiTool, on_delete=models.PROTECT, related_name="courses")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=255, blank=True)
    nrps_url = models.URLField(max_length=1024, blank=True)
    lineitems_url = models.URLField(max_length=1024, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "context_id"], name="course_unique_context"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.label or self.context_id


class Learner(TimestampedModel):
    """A person known to the tool by the platform's stable LTI ``sub``.

    Instructors are people too: the role lives on ``Enrollment``, per course.
    """

    registration = models.ForeignKey(LtiTool, on_delete=models.PROTECT, related_name="learners")
    sub = models.CharField("LTI subject (sub)", max_length=255)
    name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "sub"], name="learner_unique_sub")
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.sub


class Enrollment(TimestampedModel):
    """A person's role in a course, from a launch or from the NRPS roster."""

    class Role(models.TextChoices):
        INSTRUCTOR = "instructor", "Instructor"
        LEARNER = "learner", "Learner"

    class Source(models.TextChoices):
        LAUNCH = "launch", "Launch"
        ROSTER = "roster", "Roster (NRPS)"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrollments")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="enrollments")
    role = models.CharField(max_length=16, choices=Role.choices)
    lti_roles = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LAUNCH)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "learner"], name="enrollment_unique_course_learner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} in {self.course} ({self.role})"


class Assignment(TimestampedModel):
    """One placement of the tool in a course: a dataset spec, questions and a gradebook column."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft: spec not approved"
        OPEN = "open", "Open to learners"
        CLOSED = "closed", "Closed"

    class Feedback(models.TextChoices):
        NONE = "none", "Nothing: the learner sees that the answers were received"
        SCORE = "score", "Score only"
        CORRECTNESS = "correctness", "Score and which answers are right"
        ANSWERS = "answers", "Score, which answers are right, and the key after the due date"

    class LatePolicy(models.TextChoices):
        ACCEPT = "accept", "Accept late submissions without penalty"
        PENALTY = "penalty", "Accept late submissions with a penalty per day"
        REFUSE = "refuse", "Refuse submissions after the due date"

    class GradePolicy(models.TextChoices):
        BEST = "best", "The best attempt counts"
        LAST = "last", "The last attempt counts"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # NULL until a launch links it (deep linking creates it first); unique when set.
    resource_link_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    title = models.CharField(max_length=255)
    instructions = models.TextField(blank=True)
    points = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    scale = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(0.01), MaxValueValidator(1000.0)],
        help_text="Multiplies the spec's root-table row counts.",
    )
    offered_formats = models.JSONField(default=default_offered_formats)
    lineitem_url = models.URLField(max_length=1024, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    feedback = models.CharField(max_length=16, choices=Feedback.choices, default=Feedback.SCORE)
    max_attempts = models.PositiveIntegerField(default=0, help_text="0 means unlimited.")
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="In the server's time zone (UTC unless configured)."
    )
    late_policy = models.CharField(
        max_length=16, choices=LatePolicy.choices, default=LatePolicy.ACCEPT
    )
    late_penalty_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent of the score taken off per day (or part of a day) late.",
    )
    grade_policy = models.CharField(
        max_length=8, choices=GradePolicy.choices, default=GradePolicy.BEST
    )
    escape_formulas = models.BooleanField(
        default=True,
        help_text="In CSV and Excel downloads, text starting with = + - @ or a tab gets a "
        "leading apostrophe so that spreadsheets show it instead of running it as a formula.",
    )
    # Deep linking creates the assignment before the LMS says whether it took the link:
    # it stays pending (hidden, and removed after 30 days) until a launch proves it was.
    link_pending_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the deep-linking picker created it; cleared by its first launch.",
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        help_text="The assignment whose spec and questions this one copied (LMS course copy).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "resource_link_id"],
                condition=Q(resource_link_id__isnull=False),
                name="assignment_unique_resource_link",
            ),
            models.CheckConstraint(condition=Q(scale__gt=0), name="assignment_scale_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class DatasetSpec(TimestampedModel):
    """The spec of an assignment's dataset, with its learning objectives and versions."""

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="spec")
    objectives = models.TextField(blank=True, help_text="What learners should practise.")

    def __str__(self) -> str:
        return f"Spec of {self.assignment}"

    @property
    def approved_version(self) -> SpecVersion | None:
        return self.versions.filter(status=SpecVersion.Status.APPROVED).first()


class SpecVersion(models.Model):
    """One saved version of a spec document. Approval freezes it by content hash."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    class Source(models.TextChoices):
        LLM = "llm", "Drafted by a language model"
        TEMPLATE = "template", "Drafted from an offline template"
        MANUAL = "manual", "Written or edited by hand"
        REFERENCE = "reference", "Inferred from reference tables"

    spec = models.ForeignKey(DatasetSpec, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    document = models.JSONField(help_text="The spec, in its canonical JSON form.")
    source_text = models.TextField(
        blank=True, help_text="The YAML or JSON as written, comments included."
    )
    rationale = models.TextField(
        blank=True,
        help_text="Why a drafted version looks as it does: the properties the objectives need, "
        "the check guaranteeing each, and what the draft could not provide.",
    )
    sha256 = models.CharField(max_length=64, help_text="sha256 of the canonical JSON.")
    validation = models.JSONField(
        default=dict, blank=True, help_text="Latest validation and objective-check report."
    )
    questions = models.JSONField(
        default=dict, blank=True, help_text="The question set, in its canonical JSON form."
    )
    questions_text = models.TextField(
        blank=True, help_text="The questions' YAML or JSON as written, comments included."
    )
    questions_sha256 = models.CharField(max_length=64, blank=True)
    questions_report = models.JSONField(
        default=dict,
        blank=True,
        help_text="Sample learners' keys and warnings, from the last save.",
    )
    questions_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        Learner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        Learner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["spec", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["spec", "number"], name="specversion_unique_number"),
            models.UniqueConstraint(
                fields=["spec"],
                condition=Q(status="approved"),
                name="specversion_one_approved",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_at__isnull=False),
                name="specversion_approved_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spec.assignment} v{self.number} ({self.status})"


class IssuedDataset(models.Model):
    """A dataset the tool issued to a learner: enough to regenerate and verify it."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="issued")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="issued")
    variant = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)
    spec_version = models.ForeignKey(SpecVersion, on_delete=models.PROTECT, related_name="issued")
    spec_sha256 = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=32)
    seed_fingerprint = models.CharField(max_length=64)
    sub_seed = models.PositiveIntegerField(
        default=0, help_text="Which regeneration attempt met every objective check."
    )
    row_counts = models.JSONField(default=dict, blank=True)
    file_checksums = models.JSONField(
        default=dict, blank=True, help_text="sha256 of every file issued, by file name."
    )
    scale = models.FloatField(default=1.0, help_text="The assignment's scale when it was issued.")
    answer_key = models.JSONField(
        default=dict, blank=True, help_text="Parameters and expected answers from this data."
    )
    questions_sha256 = models.CharField(
        max_length=64, blank=True, help_text="The questions the key was computed for."
    )
    tables_files = models.JSONField(
        default=dict, blank=True, help_text="The stored tables used for grading, by table name."
    )
    flaw_summary = models.JSONField(default=dict, blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)
    download_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "learner", "variant"], name="issued_unique_variant"
            ),
            models.UniqueConstraint(
                fields=["assignment", "learner"],
                condition=Q(is_current=True),
                name="issued_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment} / {self.learner} / variant {self.variant}"


class Submission(models.Model):
    """One attempt of a learner at an assignment's questions, graded against their key."""

    class Passback(models.TextChoices):
        NOT_NEEDED = "not_needed", "No gradebook column"
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent to the LMS"
        FAILED = "failed", "Sending failed"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="submissions")
    issued_dataset = models.ForeignKey(
        IssuedDataset, on_delete=models.PROTECT, related_name="submissions"
    )
    attempt = models.PositiveIntegerField(default=1)
    answers = models.JSONField(default=dict, help_text="Answer per question id.")
    results = models.JSONField(default=dict, blank=True, help_text="Grading per question id.")
    score = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="After any late penalty."
    )
    max_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    raw_score = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True, help_text="Before any late penalty."
    )
    late_days = models.PositiveIntegerField(default=0)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    questions_sha256 = models.CharField(max_length=64, blank=True)
    flags = models.JSONField(
        default=dict, blank=True, help_text="Answers equal to another learner's key, by question."
    )
    grading_error = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    passback_status = models.CharField(
        max_length=16, choices=Passback.choices, default=Passback.NOT_NEEDED
    )
    passback_at = models.DateTimeField(null=True, blank=True)
    passback_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "learner", "attempt"], name="submission_unique_attempt"
            )
        ]

    def __str__(self) -> str:
        return f"{self.learner} on {self.assignment}, attempt {self.attempt}"


class JobRun(models.Model):
    """The tracking row of one background job: status, progress and outcome."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        STARTED = "started", "Started"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=64)
    queue = models.CharField(max_length=32, default="default")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    arguments = models.JSONField(default=dict, blank=True)
    dedup_key = models.CharField(
        max_length=255,
        blank=True,
        help_text="The kind and canonical arguments: one active job per key (job_enqueue_once).",
    )
    progress = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    progress_message = models.CharField(max_length=255, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    rq_job_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life from the process running it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["dedup_key", "-requested_at"], name="jobrun_dedup_latest"),
        ]
        constraints = [
            # A second request for the same work while it is queued or running gets the
            # first job: two workers never issue the same learner's dataset twice.
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(status__in=["requested", "started"]) & ~Q(dedup_key=""),
                name="jobrun_one_active_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        if not self.dedup_key:
            self.dedup_key = self.key_for(self.kind, self.arguments)
        super().save(*args, **kwargs)

    @staticmethod
    def key_for(kind: str, arguments: dict | None) -> str:
        """The deduplication key of a job: its kind and a digest of its canonical arguments."""
        canonical = json.dumps(arguments or {}, sort_keys=True, separators=(",", ":"), default=str)
        return f"{kind}:{hashlib.sha256(canonical.encode()).hexdigest()[:40]}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    def progress_report(self) -> dict[str, object]:
        """What a page polling this job shows: status, progress, message and error."""
        return {
            "status": self.status,
            "progress": self.progress,
            "message": self.progress_message,
            "error": self.error,
        }


# --- The LTI layer: signing keys, registrations' provenance, grade passback -----


class ToolKeyState(models.Model):
    """The lifecycle of one of the tool's signing keys: current, or retired and in its grace period."""

    key = models.OneToOneField(
        "lti1p3_tool_config.LtiToolKey", on_delete=models.CASCADE, related_name="state"
    )
    kid = models.CharField(max_length=128)
    is_current = models.BooleanField(default=True)
    activated_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-activated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_current"],
                condition=Q(is_current=True),
                name="toolkeystate_one_current",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({'current' if self.is_current else 'retired'})"


class RegistrationInvite(models.Model):
    """A one-time token an administrator issues so that one LMS may register dynamically."""

    token_sha256 = models.CharField(max_length=64, unique=True)
    note = models.CharField(max_length=255, blank=True, help_text="Which LMS it is for.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    registration = models.ForeignKey(
        LtiTool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        state = "used" if self.used_at else "open"
        return f"Registration invite {self.note or self.pk} ({state})"


class PlatformRegistration(models.Model):
    """Where a platform registration came from, and what the platform said about itself."""

    class Source(models.TextChoices):
        COMMAND = "command", "lti_register command"
        DYNAMIC = "dynamic", "LTI Dynamic Registration"
        DEMO = "demo", "Demo LMS"
        ADMIN = "admin", "Django admin"

    registration = models.OneToOneField(LtiTool, on_delete=models.CASCADE, related_name="details")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ADMIN)
    platform_name = models.CharField(max_length=255, blank=True)
    product_family_code = models.CharField(max_length=64, blank=True)
    openid_configuration = models.JSONField(default=dict, blank=True)
    registration_response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.registration.title} ({self.get_source_display()})"


class GradePassbackAttempt(models.Model):
    """One attempt to send a submission's score to the LMS, and what came of it."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="passback_attempts"
    )
    job_run = models.ForeignKey(
        JobRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempted_at = models.DateTimeField(auto_now_add=True)
    succeeded = models.BooleanField(default=False)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    lineitem_url = models.URLField(max_length=1024, blank=True)
    message = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"{self.submission} at {self.attempted_at:%Y-%m-%d %H:%M} ({'ok' if self.succeeded else 'failed'})"


class PlatformHealth(models.Model):
    """When a platform's key set and token endpoint last answered, or failed to."""

    registration = models.OneToOneField(LtiTool, on_delete=models.CASCADE, related_name="health")
    key_set_ok_at = models.DateTimeField(null=True, blank=True)
    key_set_failed_at = models.DateTimeField(null=True, blank=True)
    key_set_message = models.TextField(blank=True, help_text="What the last key set fetch said.")
    token_ok_at = models.DateTimeField(null=True, blank=True)
    token_failed_at = models.DateTimeField(null=True, blank=True)
    token_message = models.TextField(blank=True, help_text="What the last token request said.")

    class Meta:
        verbose_name = "platform check"

    def __str__(self) -> str:
        return f"Checks of {self.registration.title or self.registration.issuer}"


class ReferenceImport(models.Model):
    """Reference tables an instructor uploaded to fit a spec: the files, their metadata, the outcome.

    The files are deleted once the spec is fitted; the metadata and the report remain.
    """

    class Status(models.TextChoices):
        DETECTING = "detecting", "Detecting types, keys and relationships"
        DETECT_FAILED = "detect_failed", "Detection failed"
        UPLOADED = "uploaded", "Uploaded: metadata to confirm"
        FITTING = "fitting", "Fitting a spec"
        FITTED = "fitted", "Fitted"
        FAILED = "failed", "Failed"

    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="reference_imports"
    )
    created_by = models.ForeignKey(
        Learner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    files = models.JSONField(
        default=list, blank=True, help_text="Stored files: table, original name, path, bytes."
    )
    metadata = models.JSONField(
        default=dict, blank=True, help_text="SDV metadata: detected, then as corrected."
    )
    personal = models.JSONField(
        default=list, blank=True, help_text="[table, column] pairs holding personal data."
    )
    spec_version = models.ForeignKey(
        SpecVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    report = models.JSONField(
        default=dict, blank=True, help_text="What was fitted and the quality of a variant."
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        tables = ", ".join(f["table"] for f in self.files) or "no tables"
        return f"Reference data ({tables}) for {self.assignment}"
