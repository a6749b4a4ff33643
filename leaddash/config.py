"""Settings from the environment, declared once with help text; fail fast on bad values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from leaddash.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "leaddash.db"
DEMO_COOKIE_KEY = "leaddash-demo-cookie-key-not-for-production"
MIN_COOKIE_KEY_LENGTH = 32

# name -> help text; a test checks that every setting here is documented in the README.
SETTINGS_HELP = {
    "DATABASE_URL": "SQLAlchemy URL of the database; default a SQLite file under data/.",
    "LEADDASH_COOKIE_KEY": "Secret that signs the login cookie (at least 32 characters).",
    "LEADDASH_DEMO": "1 turns on demo mode: demo logins shown, demo cookie key allowed.",
    "LEADDASH_COOKIE_NAME": "Name of the login cookie (default leaddash_auth).",
    "LEADDASH_COOKIE_DAYS": "Days a login lasts at most, used or not (default 7).",
    "LEADDASH_LOGIN_IDLE_HOURS": "Hours a login may go unused before it ends (default 12).",
}
DEFAULT_COOKIE_DAYS = 7.0
DEFAULT_IDLE_HOURS = 12.0


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    """Return the SQLite URL of the default database file under data/."""
    return f"sqlite:///{DEFAULT_DB_PATH}"


@dataclass(frozen=True)
class LoginLimits:
    """How long a login lasts: `idle` without use, `lifetime` at most."""

    idle: timedelta = timedelta(hours=DEFAULT_IDLE_HOURS)
    lifetime: timedelta = timedelta(days=DEFAULT_COOKIE_DAYS)


def _positive(env: dict[str, str], name: str, default: float, unit: str) -> float:
    text = env.get(name) or str(default)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:  # also refuses NaN
        raise ConfigError(f"{name} must be a number of {unit} above 0, not {text!r}.")
    return value


def login_limits(env: dict[str, str] | None = None) -> LoginLimits:
    """Return the login limits read from `env` (the process environment by default)."""
    env = dict(os.environ if env is None else env)
    return LoginLimits(
        idle=timedelta(hours=_positive(env, "LEADDASH_LOGIN_IDLE_HOURS", DEFAULT_IDLE_HOURS,
                                       "hours")),
        lifetime=timedelta(days=_positive(env, "LEADDASH_COOKIE_DAYS", DEFAULT_COOKIE_DAYS,
                                          "days")))


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    cookie_key: str | None = None
    demo: bool = False
    cookie_name: str = "leaddash_auth"
    cookie_days: float = DEFAULT_COOKIE_DAYS
    login_idle_hours: float = DEFAULT_IDLE_HOURS

    @property
    def login_limits(self) -> LoginLimits:
        """Return how long a login lasts unused, and at most."""
        return LoginLimits(idle=timedelta(hours=self.login_idle_hours),
                           lifetime=timedelta(days=self.cookie_days))

    def require_cookie_key(self) -> str:
        """Return the cookie key, or raise ConfigError when it is missing or unsafe."""
        key = self.cookie_key
        if not key:
            if self.demo:
                return DEMO_COOKIE_KEY
            raise ConfigError(
                "LEADDASH_COOKIE_KEY is not set. Set it to a random secret of at least "
                f"{MIN_COOKIE_KEY_LENGTH} characters (or set LEADDASH_DEMO=1 for a demo)."
            )
        if key == DEMO_COOKIE_KEY and not self.demo:
            raise ConfigError(
                "LEADDASH_COOKIE_KEY is the published demo key. Set a secret of your own."
            )
        if len(key) < MIN_COOKIE_KEY_LENGTH and not self.demo:
            raise ConfigError(
                f"LEADDASH_COOKIE_KEY is too short: use at least {MIN_COOKIE_KEY_LENGTH} characters."
            )
        return key


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Return settings read from `env` (the process environment by default)."""
    env = dict(os.environ if env is None else env)
    limits = login_limits(env)
    return Settings(
        database_url=env.get("DATABASE_URL") or default_database_url(),
        cookie_key=env.get("LEADDASH_COOKIE_KEY") or None,
        demo=_flag(env.get("LEADDASH_DEMO")),
        cookie_name=env.get("LEADDASH_COOKIE_NAME") or "leaddash_auth",
        cookie_days=limits.lifetime / timedelta(days=1),
        login_idle_hours=limits.idle / timedelta(hours=1),
    )
