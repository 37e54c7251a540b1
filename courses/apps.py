from django.apps import AppConfig
from pylti1p3.contrib.django.lti1p3_tool_config.apps import PyLTI1p3ToolConfig


class LtiToolConfigApp(PyLTI1p3ToolConfig):
    """pylti1p3's registration models, with the auto field its migrations were written for.

    Without this, the project's BigAutoField default would make makemigrations
    try to write a migration into site-packages.
    """

    default_auto_field = "django.db.models.AutoField"
    verbose_name = "LTI platform registrations"


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses, assignments and datasets"

    def ready(self) -> None:
        from courses import checks  # noqa: F401  (registers system checks)
        from courses.jobs import handlers  # noqa: F401  (registers the job kinds)
