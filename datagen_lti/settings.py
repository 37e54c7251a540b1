"""Settings, read from the environment, with embedded defaults for a laptop.

With no environment at all the tool runs on SQLite under ``var/``, runs jobs
inline, keeps files under ``var/media`` and drafts specs with offline
templates. Production sets ``DJANGO_DEBUG=0`` and must then provide a secret key.
The README lists every variable.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DATAGEN_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; accepts 1/0, true/false, yes/no, on/off."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value; use 1 or 0.")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Read a comma-separated list."""
    raw = os.environ.get(name, "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    return items or list(default or [])


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from exc


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production settings (DJANGO_DEBUG=0) need a long "
            "random secret, for example: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-do-not-deploy-0123456789"

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS",
    ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_rq",
    "courses.apps.LtiToolConfigApp",
    "courses.apps.CoursesConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Pages live in LMS iframes: a Content-Security-Policy frame-ancestors list
    # naming the registered platforms replaces X-Frame-Options.
    "courses.middleware.FrameAncestorsMiddleware",
]

ROOT_URLCONF = "datagen_lti.urls"
WSGI_APPLICATION = "datagen_lti.wsgi.application"
ASGI_APPLICATION = "datagen_lti.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "courses.context_processors.tool",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "").strip()
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # A file, not memory, so that a worker process can share the test database.
            "TEST": {"NAME": VAR_DIR / "test-db.sqlite3"},
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache and job queues --------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
# Without Redis, jobs run inline in the web process (the embedded default).
JOBS_INLINE = env_bool("DATAGEN_JOBS_INLINE", not REDIS_URL)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "datagen",
        }
    }
else:
    # Shared by every process (pylti1p3 keeps launch data and nonces here).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "datagen_cache",
        }
    }

RQ_QUEUE_NAMES = ("default", "generation", "grades")
_RQ_URL = REDIS_URL or "redis://127.0.0.1:6379/0"
RQ_QUEUES = {
    name: {"URL": _RQ_URL, "DEFAULT_TIMEOUT": 1800 if name == "generation" else 300}
    for name in RQ_QUEUE_NAMES
}

# --- Files ------------------------------------------------------------------

MEDIA_ROOT = Path(os.environ.get("DATAGEN_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: downloads go through a permission check
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

AWS_STORAGE_BUCKET_NAME = os.environ.get("DATAGEN_S3_BUCKET", "").strip()
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("DATAGEN_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("DATAGEN_S3_REGION") or None,
            "access_key": os.environ.get("DATAGEN_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("DATAGEN_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security, for a tool that lives in LMS iframes --------------------------

# https is the norm; only a laptop in debug mode speaks plain http.
HTTPS = env_bool("DATAGEN_HTTPS", not DEBUG)
if env_bool("DATAGEN_BEHIND_PROXY", False):
    # Only behind a proxy that sets (and strips client-sent) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# Cookies must cross sites (the LMS frames the tool): SameSite=None needs Secure.
SESSION_COOKIE_SAMESITE = "None" if HTTPS else "Lax"
CSRF_COOKIE_SAMESITE = "None" if HTTPS else "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "datagen_session"
CSRF_COOKIE_NAME = "datagen_csrftoken"
SESSION_COOKIE_AGE = 8 * 3600
SECURE_SSL_REDIRECT = env_bool("DATAGEN_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("DATAGEN_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("DATAGEN_HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Frame-ancestors beyond the registered platforms (space-separated origins).
FRAME_ANCESTORS_EXTRA = env_list("DATAGEN_FRAME_ANCESTORS")
# X-Frame-Options would forbid the LMS iframe; FrameAncestorsMiddleware sends a
# CSP frame-ancestors list instead (see courses/middleware.py).
SILENCED_SYSTEM_CHECKS = ["security.W002"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- The tool ----------------------------------------------------------------

# Per-learner seeds: HMAC-SHA256(secret, ...). Set it explicitly in production,
# so that rotating DJANGO_SECRET_KEY never changes a learner's dataset.
SEED_SECRET_IS_DERIVED = not os.environ.get("DATAGEN_SEED_SECRET")
DATAGEN_SEED_SECRET = (
    os.environ.get("DATAGEN_SEED_SECRET")
    or hashlib.sha256(f"datagen-seed|{SECRET_KEY}".encode()).hexdigest()
)
DATAGEN_MAX_ROWS = env_int("DATAGEN_MAX_ROWS", 10_000_000)
DATAGEN_DEMO_MODE = env_bool("DATAGEN_DEMO_MODE", False)
# Seconds between tries of a score the LMS did not take (5xx, timeout, refused token).
DATAGEN_PASSBACK_RETRY_INTERVALS = env_list(
    "DATAGEN_PASSBACK_RETRY_INTERVALS", ["30", "120", "600", "1800", "3600"]
)
# The sandbox for learners' and instructors' SQL: per query.
DATAGEN_SQL_TIMEOUT_SECONDS = float(os.environ.get("DATAGEN_SQL_TIMEOUT_SECONDS", "5"))
DATAGEN_SQL_MEMORY_LIMIT = os.environ.get("DATAGEN_SQL_MEMORY_LIMIT", "256MB")
DATAGEN_SQL_TEMP_LIMIT = os.environ.get("DATAGEN_SQL_TEMP_LIMIT", "256MB")
DATAGEN_SQL_MAX_ROWS = env_int("DATAGEN_SQL_MAX_ROWS", 1_000)
# Base URL the tool is reached at, e.g. https://datagen.example.edu (used when a
# request is not at hand, such as in management commands).
DATAGEN_PUBLIC_URL = os.environ.get("DATAGEN_PUBLIC_URL", "").rstrip("/")
if DATAGEN_PUBLIC_URL and urlsplit(DATAGEN_PUBLIC_URL).scheme not in {"http", "https"}:
    raise ImproperlyConfigured("DATAGEN_PUBLIC_URL must start with https:// (or http://).")

OPENAI_API_KEY = os.environ.get("OPENAI_API_KEY", "")
OPENAI_BASE_URL = os.environ.get("OPENAI_BASE_URL", "") or None
OPENAI_MODEL = os.environ.get("OPENAI_MODEL", "gpt-4.1-mini")

# --- Locale and time ------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"rq.worker": {"level": "WARNING"}},
}

# In debug mode WhiteNoise serves straight from the app folders, without collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
