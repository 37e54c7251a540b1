"""The demo LMS's own rows: its signing key, the links placed in its course, its gradebook."""

from __future__ import annotations

import uuid

from django.db import models


class PlatformKey(models.Model):
    """The demo LMS's signing key (it is a platform: it signs id_tokens)."""

    private_key = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Demo LMS key #{self.pk}"


class LineItem(models.Model):
    """A gradebook column in the demo course."""

    label = models.CharField(max_length=255)
    score_maximum = models.FloatField(default=100.0)
    resource_id = models.CharField(max_length=255, blank=True)
    resource_link_id = models.CharField(max_length=255, blank=True)
    tag = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.label


class Placement(models.Model):
    """A link to the tool placed in the demo course (what deep linking returned)."""

    title = models.CharField(max_length=255)
    custom = models.JSONField(default=dict, blank=True)
    lineitem = models.ForeignKey(
        LineItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="placements"
    )
    # Not the primary key: the tool keeps resource link ids after the demo's tables
    # are emptied, and a new link must not inherit an old one's assignment.
    link_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def resource_link_id(self) -> str:
        return f"demo-link-{self.link_key}"


class Score(models.Model):
    """The latest score the tool posted for one demo user in one gradebook column."""

    lineitem = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="scores")
    user_id = models.CharField(max_length=255)
    score_given = models.FloatField(null=True, blank=True)
    score_maximum = models.FloatField(null=True, blank=True)
    comment = models.TextField(blank=True)
    activity_progress = models.CharField(max_length=32, blank=True)
    grading_progress = models.CharField(max_length=32, blank=True)
    timestamp = models.DateTimeField()
    received_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lineitem", "user_id"], name="demo_lms_score_one_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.score_given}/{self.score_maximum}"
