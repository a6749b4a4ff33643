"""Command line: python -m leaddash COMMAND … (run `python -m leaddash --help`)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence

from leaddash.auth import CLI_ACTOR
from leaddash.config import load_settings
from leaddash.db import check_connection, describe_url, make_engine, write_session
from leaddash.errors import LeadDashError
from leaddash.models import Role

Handler = Callable[[argparse.Namespace], int]


def _engine():
    settings = load_settings()
    engine = make_engine(settings.database_url)
    check_connection(engine)
    return engine


def _read_password(prompt: str = "Password: ") -> str:
    """Read a password from the terminal (twice), or from the first line of stdin."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(prompt)
    if first != getpass.getpass("Repeat the password: "):
        raise LeadDashError("The two passwords differ; nothing was changed.")
    return first


def cmd_migrate(args: argparse.Namespace) -> int:
    from leaddash.migrate import upgrade

    url = load_settings().database_url
    check_connection(make_engine(url))
    upgrade(url, args.revision)
    print(f"Migrated the {describe_url(url)} to {args.revision}.")
    return 0


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from leaddash.demo import is_empty, seed_demo

    engine = _engine()
    if args.if_empty and not is_empty(engine):
        print("The database already holds data; demo data not seeded.")
        return 0
    summary = seed_demo(engine, leads=args.leads, seed=args.seed, months=args.months)
    print(summary)
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from leaddash.auth import check_role
    from leaddash.users import create_user

    check_role(args.role)
    password = _read_password()
    with write_session(_engine()) as session:
        create_user(session, actor=CLI_ACTOR, username=args.username, role=args.role,
                    password=password, name=args.name, email=args.email, team=args.team)
    print(f"Created {args.role} {args.username!r}.")
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    from leaddash.users import set_password

    password = _read_password("New password: ")
    with write_session(_engine()) as session:
        set_password(session, actor=CLI_ACTOR, username=args.username, password=password)
    print(f"Password of {args.username!r} changed.")
    return 0


def cmd_deactivate_user(args: argparse.Namespace) -> int:
    from leaddash.users import set_active

    with write_session(_engine()) as session:
        set_active(session, actor=CLI_ACTOR, username=args.username, active=False)
    print(f"Deactivated {args.username!r}; they can no longer log in.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="python -m leaddash", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("migrate", help="upgrade the database schema (default: to head)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed-demo", help="fill the database with deterministic demo data")
    p.add_argument("--leads", type=int, default=20_000, help="number of leads (default 20000)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--months", type=int, default=18, help="months of history (default 18)")
    p.add_argument("--if-empty", action="store_true", help="do nothing when data exists")
    p.set_defaults(func=cmd_seed_demo)

    roles = ", ".join(r.value for r in Role)
    p = sub.add_parser("create-user", help="create a user; the password is read from a prompt "
                       "or from stdin")
    p.add_argument("username")
    p.add_argument("--role", required=True, help=f"one of: {roles}")
    p.add_argument("--team")
    p.add_argument("--name")
    p.add_argument("--email")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("set-password", help="set a user's password (read from a prompt or stdin)")
    p.add_argument("username")
    p.set_defaults(func=cmd_set_password)

    p = sub.add_parser("deactivate-user", help="stop a user from logging in")
    p.add_argument("username")
    p.set_defaults(func=cmd_deactivate_user)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LeadDashError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; nothing more was changed.", file=sys.stderr)
        return 130
