"""PLeK settings: one file, every value read from the environment (see .env.example)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from plek.core.env import cache_from_url, env_bool, env_int, env_list, env_str, storages_from_env

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
    "plek.notifications",
    "plek.knowledge",
    "plek.brokering",
    "plek.strategy",
    "plek.learning",
    "plek.governance",
    "plek.federation",
    "plek.api",
    "plek.platform",  # above every app: commands, health checks, the registry of upward calls
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
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
    "allauth.account.middleware.AccountMiddleware",
    "plek.atlas.middleware.RequireSecondFactorMiddleware",
    "plek.accounts.middleware.RetryAfterMiddleware",
    # Last, so it sees the signed-in user and messages and runs the view itself (plek/core/pagecache.py).
    "plek.core.pagecache.AnonymousPageCacheMiddleware",
]

# Public reading pages an anonymous visitor gets from the shared cache (plek/core/pagecache.py).
PLEK_ANONYMOUS_PAGES = [
    "atlas:home",
    "atlas:regions",
    "atlas:region",
    "atlas:list",
    "atlas:detail",
    "atlas:map",
    "brokering:list",
    "knowledge:list",
    "knowledge:detail",
    "knowledge:search",
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
                "plek.notifications.context_processors.notifications",
                "plek.core.pagecache.csrf_placeholder",
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

# One node: a file cache under var/. Several nodes: CACHE_URL=redis://… so they share the cache and
# with it the rate limits.
CACHES = cache_from_url(env_str("CACHE_URL"), default_dir=str(VAR_DIR / "cache"))

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
# Sign-in rate limit: this many failures per window per account name (the address has its own,
# higher threshold: PLEK_LOGIN_FAILURES_PER_ADDRESS, so one account's flood does not lock the others).
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
# Uploads under MEDIA_ROOT, or in an S3-compatible bucket when PLEK_S3_BUCKET is set (storages_from_env).
STORAGES = storages_from_env()
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
# Request budgets per caller ("<requests>/<seconds>", plek.api.ratelimit): tokens and signed-in
# sessions per user/token, anonymous callers per address. Over budget: 429 with Retry-After.
API_RATE_LIMIT_ANONYMOUS = env_str("API_RATE_LIMIT_ANONYMOUS", "300/60")
API_RATE_LIMIT_TOKEN = env_str("API_RATE_LIMIT_TOKEN", "1200/60")
BEHIND_PROXY = env_bool("BEHIND_PROXY")

# Search: tantivy index on disk by default; "postgres" uses PostgreSQL full-text search instead.
PLEK_SEARCH_BACKEND = env_str("PLEK_SEARCH_BACKEND", "tantivy")
PLEK_SEARCH_DIR = Path(env_str("PLEK_SEARCH_DIR", str(VAR_DIR / "search")))

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

# Where a lower layer calls a higher one (demo steps, searchable kinds, export sections, the region
# page's sections, ...) is registered in plek/platform/registry.py, not here.

# Boundaries: the file `plek demo` and `plek reference load` read; by default the committed fixture
# (generalised CBS/Kadaster 2023 municipalities and safety regions, CC BY 4.0).
PLEK_BOUNDARIES_FILE = env_str(
    "PLEK_BOUNDARIES_FILE",
    str(BASE_DIR / "plek" / "atlas" / "reference" / "boundaries" / "nl-gm-vr-2023.topo.json"),
)

# Imports larger than this are refused before anything is read into the database.
PLEK_IMPORT_MAX_BYTES = env_int("PLEK_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# The knowledge import page runs files with more rows than this through the background worker and
# shows a progress bar (smaller files are checked and imported within the request).
PLEK_IMPORT_BACKGROUND_ROWS = env_int("PLEK_IMPORT_BACKGROUND_ROWS", 200)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Accounts (django-allauth): sign-up with e-mail verification, password reset, MFA, rate limits.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "plek.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "atlas:home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PLeK] "
ACCOUNT_FORMS = {"signup": "plek.accounts.forms.SignupForm"}
# Rate limits (allauth's format "amount/period/per"); all counters live in the Django cache.
# Per account ("key") and per address ("ip") with separate thresholds: a flood on one account
# blocks that account, not every account behind the same address (a proxy shares one address).
PLEK_LOGIN_FAILURES_PER_ADDRESS = env_int("PLEK_LOGIN_FAILURES_PER_ADDRESS", 100)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{PLEK_LOGIN_FAILURES_PER_ADDRESS}/{LOGIN_RATE_WINDOW_SECONDS}s/ip,"
        f"{LOGIN_RATE_LIMIT}/{LOGIN_RATE_WINDOW_SECONDS}s/key"
    ),
    "login": env_str("PLEK_RATE_LOGIN", "300/m/ip"),
    "signup": env_str("PLEK_RATE_SIGNUP", "20/h/ip"),
    "reset_password": env_str("PLEK_RATE_PASSWORD_RESET", "20/h/ip,3/h/key"),
    "reset_password_from_key": env_str("PLEK_RATE_PASSWORD_RESET_FROM_KEY", "20/h/ip"),
}
# Behind the documented reverse proxy the client address comes from X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("PLEK_TRUSTED_PROXY_COUNT", 1 if env_bool("BEHIND_PROXY") else 0)
# Second factors: an authenticator app (TOTP), recovery codes, and security keys / passkeys
# (WebAuthn, through allauth + fido2) as a second factor; passwordless sign-in stays off.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
# Browsers allow WebAuthn on https and on http://localhost only; a development server reached on
# another http host (127.0.0.1, a LAN name) needs the origin check relaxed. Never in production.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
MFA_TOTP_ISSUER = env_str("PLEK_MFA_ISSUER", "PLeK")
MFA_ADAPTER = "plek.accounts.adapter.MFAAdapter"
MFA_FORMS = {
    "add_webauthn": "plek.accounts.forms.AddWebAuthnForm",
    "authenticate_webauthn": "plek.accounts.forms.AuthenticateWebAuthnForm",
    "reauthenticate_webauthn": "plek.accounts.forms.ReauthenticateWebAuthnForm",
}
# Administrators, coordinators and secretaries must set up a second factor before doing anything
# else. On by default in production (DEBUG off); the test settings turn it off.
PLEK_REQUIRE_MFA_FOR_STAFF = env_bool("PLEK_REQUIRE_MFA_FOR_STAFF", not DEBUG)
# Invitations: how long an e-mailed invitation link stays valid.
PLEK_INVITATION_DAYS = env_int("PLEK_INVITATION_DAYS", 14)
# Optional sign-in with the deployment's own identity provider (OpenID Connect), off by default.
PLEK_OIDC_SERVER_URL = env_str("PLEK_OIDC_SERVER_URL", "")
if PLEK_OIDC_SERVER_URL:
    INSTALLED_APPS += ["allauth.socialaccount", "allauth.socialaccount.providers.openid_connect"]
    SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": env_str("PLEK_OIDC_PROVIDER_ID", "idp"),
                    "name": env_str("PLEK_OIDC_NAME", "Inloggen via uw organisatie"),
                    "client_id": env_str("PLEK_OIDC_CLIENT_ID", ""),
                    "secret": env_str("PLEK_OIDC_CLIENT_SECRET", ""),
                    "settings": {"server_url": PLEK_OIDC_SERVER_URL},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
    SOCIALACCOUNT_ONLY = False
# Content-Security-Policy (django-csp 4): scripts only from this site or carrying the per-request
# nonce (`<script nonce="{{ request.csp_nonce }}">`), never 'unsafe-inline' or 'unsafe-eval'.
# Styles keep 'unsafe-inline' because Leaflet and Vega position elements with style attributes.
from csp.constants import NONCE  # noqa: E402

INSTALLED_APPS += ["csp"]
MIDDLEWARE.insert(1, "csp.middleware.CSPMiddleware")
MIDDLEWARE.insert(2, "django_permissions_policy.PermissionsPolicyMiddleware")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "browsing-topics",
    )
}
SECURE_REFERRER_POLICY = "same-origin"

# Uploads bounded before reading: a request body over this size is refused with 413 before anything
# reads it; a DOCX/ODT that unpacks beyond PLEK_EXTRACT_MAX_UNPACKED_BYTES is refused; text extraction
# runs in the worker, in a child process held to these CPU, memory and wall-clock limits.
PLEK_REQUEST_MAX_BYTES = env_int("PLEK_REQUEST_MAX_BYTES", PLEK_UPLOAD_MAX_BYTES + 1024 * 1024)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "plek.core.middleware.RequestSizeLimitMiddleware",
)
PLEK_EXTRACT_MAX_UNPACKED_BYTES = env_int("PLEK_EXTRACT_MAX_UNPACKED_BYTES", 30 * 1024 * 1024)
PLEK_EXTRACT_CPU_SECONDS = env_int("PLEK_EXTRACT_CPU_SECONDS", 20)
PLEK_EXTRACT_MEMORY_BYTES = env_int("PLEK_EXTRACT_MEMORY_BYTES", 768 * 1024 * 1024)
PLEK_EXTRACT_WALL_SECONDS = env_int("PLEK_EXTRACT_WALL_SECONDS", 40)

# GDPR art. 17: erasures are logged here, OUTSIDE what `plek backup` copies, and re-applied by
# `plek restore`. Keep it on storage that survives the loss of the database (see docs/operations.md).
PLEK_ERASURE_LOG = env_str("PLEK_ERASURE_LOG", str(VAR_DIR / "erasure-log.jsonl"))
# Dense sentence embeddings beside the lexical search index (hybrid matching): on by default; BLAS
# threads of the encoder (1 by default: the machine is shared with the web and worker processes; the
# package's default 4 is ~20 times slower on 2 cores).
PLEK_EMBEDDINGS = env_str("PLEK_EMBEDDINGS", "1") not in ("0", "false", "no", "")
PLEK_EMBED_THREADS = env_int("PLEK_EMBED_THREADS", 1)
# After a process's first matching, move what it loaded out of the garbage collector's reach
# (plek/core/lifetime.py): full collections then stay short.
PLEK_GC_SETTLE = env_str("PLEK_GC_SETTLE", "1") not in ("0", "false", "no", "")
# encoder processes for documents in bulk (worker, `plek search embed`, reindex); 2 on a 2-core worker
PLEK_EMBED_PROCESSES = env_int("PLEK_EMBED_PROCESSES", 1)
