"""System checks for settings that would hurt learners in production."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def seed_secret_check(app_configs, **kwargs):
    """Warn when per-learner seeds hang off the Django secret key."""
    if settings.SEED_SECRET_IS_DERIVED:
        return [
            Warning(
                "DATAGEN_SEED_SECRET is not set; learners' seeds derive from DJANGO_SECRET_KEY.",
                hint="Set DATAGEN_SEED_SECRET to a long random value and never change it: "
                "rotating the Django secret key would otherwise change every dataset.",
                id="datagen.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def demo_mode_check(app_configs, **kwargs):
    """Warn when the demo LMS is switched on outside debug mode."""
    if settings.DATAGEN_DEMO_MODE and not settings.DEBUG:
        return [
            Warning(
                "DATAGEN_DEMO_MODE is on in production: anyone can launch as a demo user.",
                hint="Unset DATAGEN_DEMO_MODE.",
                id="datagen.W002",
            )
        ]
    return []
