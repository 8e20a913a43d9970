import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The test session sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a deployment never does.
SETTINGS_VARS = (
    "DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_URL",
    "SPINECARE_PRODUCTION",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run_python(code, **env):
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARS}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "spinecare.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(expression, **env):
    result = run_python(
        f"import django; django.setup(); from django.conf import settings; print({expression})",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def production_env(**extra):
    return {
        "SPINECARE_PRODUCTION": "true",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1/spinecare"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
        **extra,
    }


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in SETTINGS_VARS},
            **production_env(),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]

    result = run_python("import django; django.setup()", **env)

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = run_python("import django; django.setup()", **production_env(DEBUG="true"))

    assert "DEBUG cannot be on" in result.stderr


def test_debug_is_off_unless_asked_for():
    assert settings_value("settings.DEBUG") == "False"
    assert settings_value("settings.DEBUG", DEBUG="true") == "True"


def test_the_demo_defaults_to_sqlite_and_the_filesystem_broker_in_var():
    assert settings_value("settings.DATABASES['default']['ENGINE']") == (
        "django.db.backends.sqlite3"
    )
    assert settings_value("settings.DATABASES['default']['NAME']") == str(
        ROOT / "var" / "spinecare.sqlite3"
    )
    assert settings_value("settings.CELERY_BROKER_URL") == "filesystem://"


def test_database_and_redis_urls_switch_to_postgresql_and_redis():
    env = {
        "DATABASE_URL": "postgres://u:p@db.internal:5432/spinecare",
        "REDIS_URL": "redis://cache.internal:6379/0",
    }

    assert settings_value("settings.DATABASES['default']['ENGINE']", **env) == (
        "django.db.backends.postgresql"
    )
    assert settings_value("settings.CELERY_BROKER_URL", **env) == env["REDIS_URL"]
    assert settings_value("settings.CACHES['default']['BACKEND']", **env).endswith("RedisCache")


def test_a_malformed_value_is_refused_clearly():
    result = run_python("import django; django.setup()", REMINDER_LEASE_SECONDS="five")

    assert result.returncode != 0
    assert "five" in result.stderr


def test_celery_is_configured_not_to_lose_or_loop_on_reminders():
    from spinecare.celery import app

    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    visibility = conf.broker_transport_options.get("visibility_timeout", 3600)
    assert conf.task_time_limit < visibility
    assert "sweep-due-reminders" in conf.beat_schedule


def test_production_web_processes_keep_their_database_connection_and_check_it():
    conn = "settings.DATABASES['default']"
    expression = f"{conn}['CONN_MAX_AGE'], {conn}['CONN_HEALTH_CHECKS']"
    assert settings_value(expression, **production_env()) == "60 True"
    assert settings_value(expression, **production_env(DATABASE_CONN_MAX_AGE="0")) == "0 True"
    # The demo and the tests open one per request, as Django does by default.
    assert settings_value(f"{conn}['CONN_MAX_AGE']") == "0"
