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


LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "testserver")


def is_local_host(host: str) -> bool:
    """Whether an ALLOWED_HOSTS entry names only this machine (or Django's test client)."""
    name = host.strip().lower()
    return name in LOCAL_HOSTS or name.endswith(".localhost")


# --- Core -------------------------------------------------------------------

# Published in the source: debug mode only. Django's `check --deploy` flags its
# "django-insecure-" prefix (security.W009).
DEVELOPMENT_SECRET_KEY = (
    "django-insecure-development-key-only-for-debug-mode-do-not-deploy-0123456789"
)

DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production settings (DJANGO_DEBUG=0) need a long "
            "random secret, for example: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", list(LOCAL_HOSTS) if DEBUG else [])
if SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    # The development key is in the source: anyone could sign sessions with it. So
    # debug mode without a key of its own answers only requests for this machine,
    # even under `runserver 0.0.0.0:8000`.
    _public_hosts = [host for host in ALLOWED_HOSTS if not is_local_host(host)]
    if _public_hosts:
        raise ImproperlyConfigured(
            f"DJANGO_ALLOWED_HOSTS names {', '.join(_public_hosts)}, but the secret key is the "
            "development key, which is published in the source: it only serves localhost. "
            "Set DJANGO_SECRET_KEY to a long random secret (and DJANGO_DEBUG=0 in production)."
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
# The demo LMS (an LTI platform to try the tool without Canvas or Moodle) is an app
# of its own: its tables and its /demo/ routes exist only in demo mode.
if env_bool("DATAGEN_DEMO_MODE", False):
    INSTALLED_APPS.append("demo_lms.apps.DemoLmsConfig")

MIDDLEWARE = [
    # Answers /healthz for loopback probes (the container's HEALTHCHECK) before
    # anything checks the Host header against ALLOWED_HOSTS.
    "datagen_lti.middleware.LoopbackHealthCheckMiddleware",
    # Marks Secure; SameSite=None cookies Partitioned (CHIPS): before the middleware
    # that sets cookies, so that it sees them.
    "datagen_lti.middleware.PartitionedCookiesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Pages live in LMS iframes: a Content-Security-Policy frame-ancestors list
    # naming the registered platforms replaces X-Frame-Options.
    "courses.middleware.ContentSecurityPolicyMiddleware",
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
            # Django's default keeps 300 entries, then culls a third, live or not: genuine
            # launches were refused. Culling drops expired entries first; live ones only go
            # past a million (about four per launch, kept up to a day). CULL_FREQUENCY 0
            # would empty the whole cache instead.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000, "CULL_FREQUENCY": 3},
        }
    }

RQ_QUEUE_NAMES = ("default", "generation", "grades")
# Every `manage.py rqworker` warms up (imports, value pools) once, then forks a process
# per job; DATAGEN_RQ_FORK=0 runs jobs in the worker's own process (faster, no isolation).
RQ = {
    "WORKER_CLASS": "courses.jobs.worker.WarmWorker"
    if env_bool("DATAGEN_RQ_FORK", True)
    else "courses.jobs.worker.WarmSimpleWorker"
}
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
# collectstatic writes it; production links static files by the hashed names it lists.
STATIC_MANIFEST = STATIC_ROOT / "staticfiles.json"

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
            # WhiteNoise's hashed, compressed files; plain names until collectstatic ran.
            else "datagen_lti.staticfiles.ManifestOrPlainStaticFilesStorage"
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
# Over plain http only loopback addresses keep Secure cookies (Chromium, Firefox):
# DATAGEN_CROSS_SITE_COOKIES=1 tries the demo LMS on another host name on a laptop.
CROSS_SITE_COOKIES = HTTPS or env_bool("DATAGEN_CROSS_SITE_COOKIES", False)
SESSION_COOKIE_SAMESITE = "None" if CROSS_SITE_COOKIES else "Lax"
CSRF_COOKIE_SAMESITE = "None" if CROSS_SITE_COOKIES else "Lax"
SESSION_COOKIE_SECURE = CROSS_SITE_COOKIES
CSRF_COOKIE_SECURE = CROSS_SITE_COOKIES
# Those cookies are also marked Partitioned (CHIPS), so that browsers blocking
# third-party cookies keep them inside the LMS frame (datagen_lti.middleware).
DATAGEN_PARTITIONED_COOKIES = env_bool("DATAGEN_PARTITIONED_COOKIES", True)
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
# X-Frame-Options would forbid the LMS iframe; ContentSecurityPolicyMiddleware sends a
# CSP with script nonces and frame-ancestors naming the launch's platform instead.
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
# Sample learners bigger than this are generated at scale 1 (the page states learners' rows).
DATAGEN_PREVIEW_MAX_ROWS = env_int("DATAGEN_PREVIEW_MAX_ROWS", 500_000)
DATAGEN_DEMO_MODE = env_bool("DATAGEN_DEMO_MODE", False)
# Where the demo LMS launches the tool, when not at the demo's own address: another
# host name makes the tool cross-site in the demo's frame (e.g. demo LMS opened at
# http://localhost:8000/demo/, tool at http://127.0.0.1:8000).
DATAGEN_DEMO_TOOL_URL = os.environ.get("DATAGEN_DEMO_TOOL_URL", "").strip().rstrip("/")
# Dynamic registration may reach private/loopback addresses (development only).
DATAGEN_REGISTRATION_ALLOW_PRIVATE = env_bool("DATAGEN_REGISTRATION_ALLOW_PRIVATE", False)
# Seconds without a heartbeat after which a started job counts as stale.
# Seconds a variant's objective checks may take in total, over every sub-seed tried.
DATAGEN_CHECK_TIME_BUDGET_SECONDS = float(
    os.environ.get("DATAGEN_CHECK_TIME_BUDGET_SECONDS", "") or 20
)
DATAGEN_JOB_STALE_SECONDS = float(os.environ.get("DATAGEN_JOB_STALE_SECONDS", "") or 120)
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

# In debug mode, and in production before collectstatic ran, WhiteNoise serves
# straight from the app folders.
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_MANIFEST.is_file()
WHITENOISE_AUTOREFRESH = DEBUG
