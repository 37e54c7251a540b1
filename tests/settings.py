"""The project's settings with the demo LMS installed, as the test suite runs them.

The demo's tests need its tables in the test database; demo mode itself stays off
unless a test turns it on (``settings.DATAGEN_DEMO_MODE = True``). How the project
behaves without the app is tested in subprocesses on ``datagen_lti.settings``.
"""

from datagen_lti.settings import *  # noqa: F403
from datagen_lti.settings import INSTALLED_APPS

DEMO_APP = "demo_lms.apps.DemoLmsConfig"
if DEMO_APP not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, DEMO_APP]
