"""The demo LMS is an app of its own (``demo_lms``, demo mode only): drop its old tables here.

Their rows (a demo signing key, demo placements and scores) are disposable; the demo
creates a new key and registers it again on first use.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_job_dedup"),
    ]

    operations = [
        migrations.DeleteModel(name="DemoScore"),
        migrations.DeleteModel(name="DemoPlacement"),
        migrations.DeleteModel(name="DemoLineItem"),
        migrations.DeleteModel(name="DemoPlatformKey"),
    ]
