"""Test overrides: fast hashing, isolated var dir, in-memory mail. PostgreSQL via PLEK_TEST_DATABASE_URL."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("PLEK_VAR_DIR", tempfile.mkdtemp(prefix="plek-test-"))
if os.environ.get("PLEK_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["PLEK_TEST_DATABASE_URL"]

from config.settings import *  # noqa: F403
from config.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEBUG = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(os.environ["PLEK_VAR_DIR"], "test.sqlite3")}
PLEK_REQUIRE_MFA_FOR_STAFF = False
PLEK_GC_SETTLE = False  # no gc.freeze() after the first matching: it would keep every test's leftovers
