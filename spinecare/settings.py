"""SpineCare settings: one module, read from the environment.

Every variable is listed in `.env.example` with its default. The defaults run the
demo on a laptop (SQLite and Celery's filesystem broker under var/); setting
SPINECARE_PRODUCTION=true switches on every production safeguard and refuses to start
without the values production must provide.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("SPINECARE_VAR_DIR", default=str(BASE_DIR / "var")))

PRODUCTION = env.bool("SPINECARE_PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on when SPINECARE_PRODUCTION is true.")

if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    # Production runs on PostgreSQL and Redis; the SQLite and filesystem defaults
    # are for the demo only, and a per-process cache would split login rate limits.
    env.str("DATABASE_URL")
    env.str("REDIS_URL")
else:
    # Only the demo and tests use this key; production must set its own.
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-development-key-not-for-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's security-key list ({% load humanize %})
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "journeys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files in production; the demo's runserver serves its own.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "journeys.middleware.ClinicTimezoneMiddleware",
    # After auth: a signed-in user's own language overrides LocaleMiddleware's guess.
    "journeys.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After auth, messages and htmx: they sign out, redirect and say why.
    "journeys.security.SessionTimeoutMiddleware",
    "journeys.security.RequireMFAMiddleware",
    "journeys.security.NoStoreMiddleware",
]

ROOT_URLCONF = "spinecare.urls"
WSGI_APPLICATION = "spinecare.wsgi.application"

# Forms render through the project's templates, so templates/django/forms/ can replace
# one of Django's widget templates (and the cached loader serves them in production).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "journeys.context_processors.clinic_branding",
            ],
        },
    },
]

# Database: SQLite under var/ for the demo, PostgreSQL when DATABASE_URL is set.
# An empty DATABASE_URL counts as unset, like REDIS_URL.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'spinecare.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Production keeps each web process's connection for a minute: opening one per request
# cost more than most pages' own queries (docs/benchmarks.md). The health check finds
# a connection that died meanwhile (PostgreSQL restarted) before a request uses it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int(
    "DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0
)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A form's model choices (a surgeon, a location) are read with QuerySet.iterator(),
# which on PostgreSQL opens a server-side cursor: three round trips and a held result
# for a list of a few rows. The project never streams a large result.
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "journeys.User"
AUTHENTICATION_BACKENDS = [
    "journeys.auth_backends.ModelBackend",
    "journeys.auth_backends.AccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts: email login, no open sign-up (coordinators enrol patients).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "journeys.accounts.NoSignupAccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PREVENT_ENUMERATION = True
# A reset request for an unknown address sends nothing: with sign-up closed, allauth's
# "you have no account" email would only confirm the address is not a patient.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_SESSION_REMEMBER = False
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "journeys:home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
# A reset password still needs the second factor: the reset never signs anyone in.
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Behind a proxy every client shares its address; count the proxies so the per-address
# login limits see the real client (allauth ignores X-Forwarded-For otherwise).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)

# Second factor: TOTP with recovery codes, or a security key (WebAuthn, second factor
# only: passkey sign-in without a password stays off). allauth offers them;
# journeys.security requires one of the care team and the admin. Clinic computers are
# shared, so no "trust this browser" that would skip it.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_PERIOD = 30
MFA_TOTP_TOLERANCE = 0
MFA_TRUST_ENABLED = False
MFA_PASSKEY_LOGIN_ENABLED = False
SPINECARE_REQUIRE_STAFF_MFA = env.bool("SPINECARE_REQUIRE_STAFF_MFA", default=True)
if PRODUCTION and not SPINECARE_REQUIRE_STAFF_MFA:
    raise ImproperlyConfigured(
        "SPINECARE_REQUIRE_STAFF_MFA=false is for the demo only; production requires it."
    )

# Caches: allauth's login rate limits live here, so production shares one in Redis;
# journeys.cache falls back to per-process memory while Redis is down, and the short
# timeouts keep a sign-in from hanging on an unreachable host.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "journeys.cache.FallbackRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set, otherwise the filesystem transport in var/.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any task can run, so Redis never re-delivers a running task.
        "visibility_timeout": 3600,
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Otherwise kombu makes a control/ folder wherever the worker was started.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="spinecare")
REMINDER_SWEEP_SECONDS = env.float("REMINDER_SWEEP_SECONDS", default=60.0)
REMINDER_LEASE_SECONDS = env.int("REMINDER_LEASE_SECONDS", default=300)
REMINDER_MAX_ATTEMPTS = env.int("REMINDER_MAX_ATTEMPTS", default=5)
# Most reminders in flight (claimed, lease running) at once; keep it below what the
# workers send in one lease, or queued rows outlive their lease and are claimed again.
REMINDER_SWEEP_BATCH = env.int("REMINDER_SWEEP_BATCH", default=500)
# Reminders one send task takes: one insert, one commit of outcomes and one task's
# overhead for the lot. A crash mid-chunk sends up to this many again (same idempotency
# key), and the slowest channel must send this many well within task_soft_time_limit.
REMINDER_SEND_CHUNK = env.int("REMINDER_SEND_CHUNK", default=50)
# Seconds a Celery worker process keeps its database connection across tasks, checked
# before each task uses it (spinecare/celery.py); 0 opens one per task. Web processes
# follow DATABASE_CONN_MAX_AGE.
WORKER_CONN_MAX_AGE = env.int("WORKER_CONN_MAX_AGE", default=300)
# A static schedule (no django-celery-beat): clinic-local times are computed by the
# planner with zoneinfo, so no crontab here ever meets a daylight-saving change.
CELERY_BEAT_SCHEDULE = {
    "sweep-due-reminders": {
        "task": "journeys.tasks.sweep_reminders",
        "schedule": timedelta(seconds=REMINDER_SWEEP_SECONDS),
    },
    "reconcile-reminders-nightly": {
        "task": "journeys.tasks.reconcile_all_reminders",
        "schedule": timedelta(hours=24),
    },
}

# Email: Django 6.1's MAILERS. The demo writes each message as a file in var/mail.
EMAIL_URL = env.str("EMAIL_URL", default="")
if PRODUCTION or EMAIL_URL:
    _email = env.email_url("EMAIL_URL")
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _email["EMAIL_HOST"],
                "port": _email["EMAIL_PORT"],
                "username": _email["EMAIL_HOST_USER"],
                "password": _email["EMAIL_HOST_PASSWORD"],
                "use_tls": _email.get("EMAIL_USE_TLS", False),
                "use_ssl": _email.get("EMAIL_USE_SSL", False),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="SpineCare <care@spinecare.example>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")  # Base of links in email.

# Text messages (journeys/channels/sms.py). "console" logs one line per text (the demo;
# refused in production); "http" posts to the provider's JSON API at SMS_API_URL.
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in ("console", "http"):
    raise ImproperlyConfigured("SMS_BACKEND must be console or http.")
SMS_API_URL = env.str("SMS_API_URL", default="")
SMS_API_KEY = env.str("SMS_API_KEY", default="")
SMS_FROM = env.str("SMS_FROM", default="")
SMS_TIMEOUT_SECONDS = env.float("SMS_TIMEOUT_SECONDS", default=10.0)
if SMS_BACKEND == "http" and not (SMS_API_URL.startswith(("https://", "http://")) and SMS_API_KEY):
    raise ImproperlyConfigured("SMS_BACKEND=http needs an http(s) SMS_API_URL and SMS_API_KEY.")

# Internationalisation: times are stored in UTC and shown in the clinic's zone.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Los_Angeles")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Security headers. Django's defaults already deny framing and sniffing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Automatic logoff (journeys.security.SessionTimeoutMiddleware): idle limits by role and
# an absolute cap since sign-in. The middleware writes the session at most once a
# minute, so the session is not saved on every page.
SPINECARE_STAFF_IDLE_MINUTES = env.int("SPINECARE_STAFF_IDLE_MINUTES", default=15)
SPINECARE_PATIENT_IDLE_MINUTES = env.int("SPINECARE_PATIENT_IDLE_MINUTES", default=60)
SPINECARE_SESSION_MAX_HOURS = env.int("SPINECARE_SESSION_MAX_HOURS", default=12)
SESSION_COOKIE_AGE = SPINECARE_SESSION_MAX_HOURS * 60 * 60
SESSION_SAVE_EVERY_REQUEST = False
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are HTTPS-only, host-only and path=/, so a sibling subdomain
    # cannot plant or overwrite them (ASVS 3.3.1).
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Demo-only conveniences.
DEMO_MODE = env.bool("SPINECARE_DEMO", default=False)
# `manage.py bench` serves the pages with this on: it adds the floor page (a minimal
# view behind the same middleware) under /bench/, and nothing else.
SPINECARE_BENCH = env.bool("SPINECARE_BENCH", default=False)

# The clinic's mark in every page's header: a path under static/ (the name comes from
# the signed-in user's clinic).
SPINECARE_CLINIC_LOGO = env.str("SPINECARE_CLINIC_LOGO", default="img/spinecare-mark.svg")
# How often the surgery-day panel asks for the step under way, in seconds.
SPINECARE_LIVE_POLL_SECONDS = env.int("SPINECARE_LIVE_POLL_SECONDS", default=30)
if not 1 <= SPINECARE_LIVE_POLL_SECONDS <= 600:
    raise ImproperlyConfigured("SPINECARE_LIVE_POLL_SECONDS must be between 1 and 600.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
