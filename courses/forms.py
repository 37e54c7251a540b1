from django import forms

from courses.models import EXPORT_FORMATS, Assignment
from courses.selectors import FORMAT_LABELS


class AssignmentSettingsForm(forms.ModelForm):
    offered_formats = forms.MultipleChoiceField(
        choices=[(fmt, FORMAT_LABELS[fmt]) for fmt in EXPORT_FORMATS],
        widget=forms.CheckboxSelectMultiple,
        help_text="The downloads learners may choose from.",
    )

    class Meta:
        model = Assignment
        fields = [
            "title",
            "instructions",
            "points",
            "scale",
            "offered_formats",
            "escape_formulas",
            "status",
            "due_at",
            "late_policy",
            "late_penalty_percent",
            "max_attempts",
            "grade_policy",
            "feedback",
        ]
        labels = {"escape_formulas": "Escape text that spreadsheets would run as a formula"}
        widgets = {
            "instructions": forms.Textarea(attrs={"rows": 4}),
            "due_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }


class SpecForm(forms.Form):
    document = forms.CharField(
        label="Spec (YAML or JSON)",
        widget=forms.Textarea(
            attrs={"rows": 24, "spellcheck": "false", "class": "code", "data-editor": "yaml"}
        ),
        max_length=400_000,
    )


class QuestionsForm(forms.Form):
    questions = forms.CharField(
        label="Questions (YAML or JSON)",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 18, "spellcheck": "false", "class": "code", "data-editor": "yaml"}
        ),
        max_length=200_000,
    )
