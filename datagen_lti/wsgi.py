"""WSGI entry point (gunicorn datagen_lti.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "datagen_lti.settings")

application = get_wsgi_application()
