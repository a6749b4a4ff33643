"""No secret is committed: the files git tracks hold no secrets file, no private key and no
cookie key other than the published demo key."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import PurePosixPath

import pytest

from leaddash.config import DEMO_COOKIE_KEY, PROJECT_ROOT

SECRET_FILE_NAMES = {"secrets.toml", ".env", "id_rsa", "id_ed25519"}
SECRET_SUFFIXES = {".pem", ".key", ".p12", ".pfx"}
PRIVATE_KEY = re.compile(r"-{5}BEGIN [A-Z ]*PRIVATE KEY-{5}")
# A quoted literal given to cookie_key or LEADDASH_COOKIE_KEY (in TOML, YAML, env or code).
COOKIE_KEY_VALUE = re.compile(
    r"""(?i)(?:leaddash_)?cookie_key["']?\s*[=:]\s*["']([^"'$\s]{8,})["']"""
)
LARGEST_TEXT_FILE = 2_000_000


def tracked_files() -> list[str]:
    """Return the paths git tracks in the project, or skip when there is no git checkout."""
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing is committed here")
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, check=True, capture_output=True
    ).stdout
    return [name for name in listed.decode("utf-8").split("\0") if name]


def secret_findings(path: str, text: str) -> list[str]:
    """Return what in `text` (the content of `path`) looks like a committed secret."""
    found = [f"{path}: private key block" for _ in PRIVATE_KEY.finditer(text)]
    found += [
        f"{path}: cookie key {match.group(1)[:4]}…"
        for match in COOKIE_KEY_VALUE.finditer(text)
        if match.group(1) != DEMO_COOKIE_KEY
    ]
    return found


def tracked_text(path: str) -> str | None:
    """Return a tracked file's text, or None when it is binary, too large or gone."""
    file = PROJECT_ROOT / path
    if not file.is_file() or file.stat().st_size > LARGEST_TEXT_FILE:
        return None
    data = file.read_bytes()
    return None if b"\0" in data else data.decode("utf-8", errors="replace")


def test_no_secrets_file_or_key_file_is_tracked():
    names = [PurePosixPath(path) for path in tracked_files()]

    committed = [
        str(p) for p in names if p.name in SECRET_FILE_NAMES or p.suffix in SECRET_SUFFIXES
    ]

    assert committed == []


def test_no_tracked_file_holds_a_private_key_or_a_cookie_key():
    findings, scanned = [], []
    for path in tracked_files():
        text = tracked_text(path)
        if text is not None:
            findings += secret_findings(path, text)
            scanned.append(path)

    assert findings == []
    assert "leaddash/config.py" in scanned  # the file that holds the demo key was read


def test_a_local_secrets_file_is_ignored_by_git():
    tracked_files()  # skips outside a git checkout

    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=PROJECT_ROOT, check=False
    )

    assert ignored.returncode == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('cookie_key = "' + "s3cr3t-" * 6 + '"', ["x: cookie key s3cr…"]),
        ("export LEADDASH_COOKIE_KEY='" + "Zq9" * 12 + "'", ["x: cookie key Zq9Z…"]),
        ("-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE", ["x: private key block"]),
        ("cookie_key = " + repr(DEMO_COOKIE_KEY), []),
        ('export LEADDASH_COOKIE_KEY="$(python3 -c ...)"', []),
        ("cookie_key=settings.require_cookie_key()", []),
    ],
)
def test_the_scan_finds_secrets_and_passes_the_demo_key(text, expected):
    assert secret_findings("x", text) == expected
