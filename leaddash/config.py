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
# 32 random URL-safe characters hold about 25 different ones (32 hex digits about 14): 10
# lets any random key through and stops a word, a keyboard run or a repeated character.
MIN_COOKIE_KEY_CHARACTERS = 10
MAKE_A_KEY = (
    'Make one with: python -c "import secrets; print(secrets.token_urlsafe(32))" '
    "and set it as LEADDASH_COOKIE_KEY."
)
DEFAULT_ADDRESS = "127.0.0.1"

# name -> help text; a test checks that every setting here is documented in the README.
SETTINGS_HELP = {
    "DATABASE_URL": "SQLAlchemy URL of the database; default a SQLite file under data/.",
    "LEADDASH_COOKIE_KEY": "Secret that signs the login cookie (at least 32 characters).",
    "LEADDASH_DEMO": "1 turns on demo mode: demo logins shown, demo cookie key allowed.",
    "LEADDASH_COOKIE_NAME": "Name of the login cookie (default leaddash_auth).",
    "LEADDASH_COOKIE_DAYS": "Days a login lasts at most, used or not (default 7).",
    "LEADDASH_LOGIN_IDLE_HOURS": "Hours a login may go unused before it ends (default 12).",
    "LEADDASH_TRUSTED_PROXY": "Number of reverse proxies in front of the app whose "
    "X-Forwarded-For gives the client address (default 0: none).",
    "LEADDASH_ADDRESS": "Address the server listens on (default 127.0.0.1, this machine only).",
    "LEADDASH_SMTP_PASSWORD": "Password of the SMTP login for notification emails (never "
    "stored in the database; the server, port and username are set on the admin page).",
    "LEADDASH_WORKER": "0 keeps the server from starting the notification worker (run "
    "`python -m leaddash worker` elsewhere instead); default 1.",
}
DEFAULT_COOKIE_DAYS = 7.0
DEFAULT_IDLE_HOURS = 12.0


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def smtp_password(env: dict[str, str] | None = None) -> str | None:
    """Return the SMTP password from LEADDASH_SMTP_PASSWORD (None when unset or empty)."""
    return (os.environ if env is None else env).get("LEADDASH_SMTP_PASSWORD") or None


def worker_enabled(env: dict[str, str] | None = None) -> bool:
    """Return False when LEADDASH_WORKER turns the server's own notification worker off."""
    value = (os.environ if env is None else env).get("LEADDASH_WORKER", "1")
    return value.strip().lower() not in {"0", "false", "no", "off"}


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
        idle=timedelta(
            hours=_positive(env, "LEADDASH_LOGIN_IDLE_HOURS", DEFAULT_IDLE_HOURS, "hours")
        ),
        lifetime=timedelta(
            days=_positive(env, "LEADDASH_COOKIE_DAYS", DEFAULT_COOKIE_DAYS, "days")
        ),
    )


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    cookie_key: str | None = None
    demo: bool = False
    cookie_name: str = "leaddash_auth"
    cookie_days: float = DEFAULT_COOKIE_DAYS
    login_idle_hours: float = DEFAULT_IDLE_HOURS
    trusted_proxies: int = 0

    @property
    def login_limits(self) -> LoginLimits:
        """Return how long a login lasts unused, and at most."""
        return LoginLimits(
            idle=timedelta(hours=self.login_idle_hours), lifetime=timedelta(days=self.cookie_days)
        )

    def require_cookie_key(self) -> str:
        """Return the cookie key, or raise ConfigError when it is missing or unsafe."""
        key = self.cookie_key
        if not key:
            if self.demo:
                return DEMO_COOKIE_KEY
            raise ConfigError(
                "LEADDASH_COOKIE_KEY is not set. Set it to a random secret of at least "
                f"{MIN_COOKIE_KEY_LENGTH} characters (or set LEADDASH_DEMO=1 for a demo). "
                + MAKE_A_KEY
            )
        problem = None if self.demo else cookie_key_problem(key)
        if problem:
            raise ConfigError(f"LEADDASH_COOKIE_KEY {problem}. {MAKE_A_KEY}")
        return key


def cookie_key_problem(key: str) -> str | None:
    """Return what makes `key` unfit to sign login cookies (as the end of a sentence that
    starts with the setting's name), or None when it is fit."""
    if key == DEMO_COOKIE_KEY:
        return "is the published demo key: anyone could sign a login with it"
    if DEMO_COOKIE_KEY in key.lower():
        return "contains the published demo key: anyone could guess it"
    if any(char.isspace() for char in key):
        return "holds spaces or line breaks: a key is one unbroken run of random characters"
    if len(key) < MIN_COOKIE_KEY_LENGTH:
        return f"is too short: use at least {MIN_COOKIE_KEY_LENGTH} random characters"
    if len(set(key)) < MIN_COOKIE_KEY_CHARACTERS or _repeats(key):
        return "is not random enough: it repeats a few characters or a short pattern"
    return None


def _repeats(key: str) -> bool:
    """Return True when `key` is a shorter piece written again and again."""
    return any(
        key == (key[:size] * (len(key) // size + 1))[: len(key)]
        for size in range(1, len(key) // 2 + 1)
    )


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
        trusted_proxies=_trusted_proxies(env.get("LEADDASH_TRUSTED_PROXY")),
    )


def _trusted_proxies(text: str | None) -> int:
    value = (text or "").strip() or "0"
    if not (value.isascii() and value.isdigit()):
        raise ConfigError(
            "LEADDASH_TRUSTED_PROXY must be how many reverse proxies stand in front of the app "
            f"(0, 1, 2 ...), not {text!r}. Leave it unset when browsers reach the app directly."
        )
    return int(value)
