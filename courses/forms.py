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
        fields = ["title", "instructions", "points", "scale", "offered_formats", "status"]
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4})}


class SpecForm(forms.Form):
    document = forms.CharField(
        label="Spec (YAML or JSON)",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false", "class": "code"}),
        max_length=400_000,
    )
