"""PLeK settings: one file, every value read from the environment (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from plek.core.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PLEK_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "plek-insecure-local-development-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "plek.core",
    "plek.accounts",
    "plek.atlas",
    "plek.knowledge",
    "plek.brokering",
    "plek.strategy",
    "plek.learning",
    "plek.governance",
    "plek.api",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "plek.core.middleware.RejectNullBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "plek.core.middleware.DutchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "plek" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "plek.core.context_processors.platform",
            ],
        },
    }
]

# Database: SQLite (WAL) under var/ by default; PostgreSQL through DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'plek.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000; PRAGMA cache_size=-64000; PRAGMA mmap_size=268435456;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "atlas:home"
LOGOUT_REDIRECT_URL = "atlas:home"
# Sign-in rate limit: this many failures per window per account name and per client address.
LOGIN_RATE_LIMIT = env_int("LOGIN_RATE_LIMIT", 5)
LOGIN_RATE_WINDOW_SECONDS = env_int("LOGIN_RATE_WINDOW_SECONDS", 900)

# Email: console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PLeK <noreply@plek.localhost>")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)

LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "plek" / "locale"]
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "plek" / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)

# Security: strict in production (DEBUG off), relaxed only for plain http on localhost.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

FORMS_URLFIELD_ASSUME_HTTPS = True  # Django 6 behaviour, opted into now

# API
API_CONTACT_NAME = env_str("API_CONTACT_NAME", "PLeK platformteam")
API_CONTACT_EMAIL = env_str("API_CONTACT_EMAIL", "api@plek.localhost")
API_CONTACT_URL = env_str("API_CONTACT_URL", SITE_URL + "/api/v1/docs")
API_MAX_PAGE_SIZE = 100
API_DEFAULT_PAGE_SIZE = 25

# Search: tantivy index on disk by default; "postgres" uses PostgreSQL full-text search instead.
PLEK_SEARCH_BACKEND = env_str("PLEK_SEARCH_BACKEND", "tantivy")
PLEK_SEARCH_DIR = Path(env_str("PLEK_SEARCH_DIR", str(VAR_DIR / "search")))
# After a commit that changed searchable data, this enqueues the outbox task.
PLEK_SEARCH_DISPATCH = "plek.knowledge.tasks.dispatch_search_outbox"

# Background work (Django's Tasks API): run immediately in development and tests, by `plek worker`
# from the database queue when PLEK_TASKS_BACKEND=database.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks_db.DatabaseBackend"
            if env_str("PLEK_TASKS_BACKEND", "immediate") == "database"
            else "django_tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# Uploads: attachments larger than this are refused.
PLEK_UPLOAD_MAX_BYTES = env_int("PLEK_UPLOAD_MAX_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# /healthz asks each of these for {"status": "ok"|"error", ...}.
PLEK_HEALTH_CHECKS = {"search": "plek.knowledge.indexing.search_health"}

# Search documents of higher layers: import strings of {kind: (Model, build)} dicts.
PLEK_SEARCH_BUILDERS = [
    "plek.brokering.indexing.SEARCH_BUILDERS",
    "plek.learning.indexing.SEARCH_BUILDERS",
    "plek.governance.indexing.SEARCH_BUILDERS",
]

# `plek export` adds these sections after the Atlas.
PLEK_EXPORT_SECTIONS = [
    "plek.knowledge.exporters.KNOWLEDGE_SECTION",
    "plek.learning.exporters.TRAJECTORY_SECTION",
    "plek.governance.exporters.DECISIONS_SECTION",
]

# Where area learning and brokering pass signals on to (see plek.core.handoff).
PLEK_SIGNAL_SINK = "plek.governance.services.signal_receive"

# `plek demo` runs these steps in order (lower layers first).
PLEK_DEMO_STEPS = [
    "plek.atlas.demo_step.demo_step",
    "plek.knowledge.demo.demo_step",
    "plek.brokering.demo.demo_step",
    "plek.learning.demo.demo_step",
    "plek.governance.demo.demo_step",
    "plek.strategy.demo.demo_step",
]

# Boundaries: where the demo looks for a boundary file (never copied into the repository).
PLEK_BOUNDARIES_FILE = env_str(
    "PLEK_BOUNDARIES_FILE",
    str(BASE_DIR.parent / "shared" / "data" / "boundaries" / "nl-vr-gm-2023.topo.json"),
)

# Imports larger than this are refused before anything is read into the database.
PLEK_IMPORT_MAX_BYTES = env_int("PLEK_IMPORT_MAX_BYTES", 20 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Pages of higher layers that cite a lower layer's page by URL (strategy lists them on a result).
PLEK_CITATION_FINDERS = ["plek.governance.citations.url_citations"]
