"""Start the LeadDash server: the ASGI app of leaddash/ui/asgi.py under Streamlit's own
uvicorn runner, taking the options `streamlit run` takes (--server.port 8501 …).

It listens on 127.0.0.1 (this machine only) unless told otherwise: --server.address,
LEADDASH_ADDRESS, or Streamlit's own setting (STREAMLIT_SERVER_ADDRESS, config.toml). To
serve a team, put it behind a TLS reverse proxy (README, "Running it for a team").
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click
from streamlit import config as st_config
from streamlit.web import bootstrap, cli

from leaddash.config import DEFAULT_ADDRESS, PROJECT_ROOT, load_settings, worker_enabled
from leaddash.db import make_engine
from leaddash.errors import ConfigError
from leaddash.worker import start_background_worker

APP_SCRIPT = PROJECT_ROOT / "app.py"
ASGI_APP = "leaddash.ui.asgi:app"
NO_TRUSTED_FORWARDERS = ""  # uvicorn's list of addresses whose forwarding headers it applies
DEFAULT_OPTIONS = ("--server.headless", "true", "--browser.gatherUsageStats", "false")


def flag_options(options: Sequence[str]) -> dict[str, Any]:
    """Return the Streamlit config options given as `streamlit run` flags, parsed by
    Streamlit's own command (its names: server_port …); raise click's UsageError on a
    flag it does not know."""
    context = cli.main_run.make_context("serve", [str(APP_SCRIPT), *DEFAULT_OPTIONS, *options])
    return {
        name: value
        for name, value in context.params.items()
        if name not in ("target", "args") and value not in (None, ())
    }


def listen_address(flags: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """Return the address to listen on when nothing of Streamlit's names one (None: keep
    the flag or Streamlit's setting); raise ConfigError on a LEADDASH_ADDRESS that is not an
    IP address."""
    if flags.get("server_address"):
        return None
    wanted = (env.get("LEADDASH_ADDRESS") or "").strip()
    if wanted:
        try:
            return str(ipaddress.ip_address(wanted))
        except ValueError:
            raise ConfigError(
                "LEADDASH_ADDRESS must be an IP address: 127.0.0.1 for this "
                "machine only (behind a reverse proxy on it), 0.0.0.0 for "
                "every network it is on."
            ) from None
    return None if st_config.is_manually_set("server.address") else DEFAULT_ADDRESS


def start_worker(env: Mapping[str, str]) -> bool:
    """Start the notification worker in this process unless LEADDASH_WORKER turns it off;
    return True when started. It has its own engine: the pages' engine lives in Streamlit's
    cache, which the worker's thread does not share."""
    if not worker_enabled(dict(env)):
        return False
    start_background_worker(make_engine(load_settings().database_url))
    return True


def serve(options: Sequence[str] = ()) -> int:
    """Run the LeadDash server with the given Streamlit options; return its exit code."""
    try:
        flags = flag_options(options)
        st_config._main_script_path = str(APP_SCRIPT)  # as `streamlit run app.py` does
        bootstrap.load_config_options(flag_options=flags)
        address = listen_address(flags, os.environ)
    except click.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if address is not None:
        flags["server_address"] = address  # kept when a changed config.toml is read again
        st_config.set_option("server.address", address, "leaddash.ui.serve")
    # uvicorn would believe X-Forwarded-For from any client on this machine and hand the app
    # that address as the browser's; LeadDash reads the header itself, and only behind the
    # proxies LEADDASH_TRUSTED_PROXY counts (leaddash.ui.client).
    os.environ["FORWARDED_ALLOW_IPS"] = NO_TRUSTED_FORWARDERS
    try:
        start_worker(os.environ)
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    try:
        bootstrap.run_asgi_app(str(APP_SCRIPT), ASGI_APP, [], flags)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
