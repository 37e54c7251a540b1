from django.apps import AppConfig


class DemoLmsConfig(AppConfig):
    name = "demo_lms"
    verbose_name = "Demo LMS"
    default_auto_field = "django.db.models.BigAutoField"
