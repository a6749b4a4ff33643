"""Command line: python -m leaddash COMMAND … (run `python -m leaddash --help`)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from leaddash.auth import CLI_ACTOR
from leaddash.config import load_settings
from leaddash.db import (
    check_connection,
    make_engine,
    read_session,
    write_session,
)
from leaddash.db_url import describe_url
from leaddash.errors import ConfigError, InvalidInput, LeadDashError
from leaddash.models import Role

Handler = Callable[[argparse.Namespace], int]
LEADS_TO_QUEUE = "queue"


def _engine() -> Engine:
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
    print(f"Migrated the {describe_url(url, public=False)} to {args.revision}.")
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
        create_user(
            session,
            actor=CLI_ACTOR,
            username=args.username,
            role=args.role,
            password=password,
            name=args.name,
            email=args.email,
            team=args.team,
        )
    print(f"Created {args.role} {args.username!r}.")
    return 0


def cmd_create_team(args: argparse.Namespace) -> int:
    from leaddash.users import create_team, set_team_manager

    with write_session(_engine()) as session:
        team = create_team(session, actor=CLI_ACTOR, name=args.name)
        manager = (
            set_team_manager(session, actor=CLI_ACTOR, team=team.name, username=args.manager)
            if args.manager
            else None
        )
    print(
        f"Created team {team.name!r}" + (f", managed by {manager.username!r}." if manager else ".")
    )
    return 0


def cmd_set_password(args: argparse.Namespace) -> int:
    from leaddash.users import set_password

    password = _read_password("New password: ")
    with write_session(_engine()) as session:
        set_password(session, actor=CLI_ACTOR, username=args.username, password=password)
    print(f"Password of {args.username!r} changed.")
    return 0


def cmd_deactivate_user(args: argparse.Namespace) -> int:
    from leaddash.users import deactivate_user

    leads_to = None if args.leads_to == LEADS_TO_QUEUE else args.leads_to
    with write_session(_engine()) as session:
        moved = deactivate_user(session, actor=CLI_ACTOR, username=args.username, leads_to=leads_to)
    where = "their team's queue, unassigned" if leads_to is None else repr(leads_to)
    leads = "1 open lead" if moved == 1 else f"{moved} open leads"
    print(
        f"Deactivated {args.username!r}; they can no longer log in. "
        + (f"{leads} moved to {where}." if moved else "They had no open leads.")
    )
    return 0


def cmd_reactivate_user(args: argparse.Namespace) -> int:
    from leaddash.users import set_active

    with write_session(_engine()) as session:
        set_active(session, actor=CLI_ACTOR, username=args.username, active=True)
    print(f"Reactivated {args.username!r}; they can log in again with their password.")
    return 0


def cmd_set_role(args: argparse.Namespace) -> int:
    from leaddash.auth import check_role, get_user
    from leaddash.users import set_role

    role = check_role(args.role)
    with write_session(_engine()) as session:
        before = set_role(session, actor=CLI_ACTOR, username=args.username, role=role)
        active = get_user(session, args.username).is_active
    if before == role:
        print(f"{args.username!r} already has the role {role}; nothing changed.")
    else:
        print(f"Changed the role of {args.username!r} from {before} to {role}.")
    if not active:
        print(
            f"{args.username!r} is deactivated and cannot log in: run "
            f"`python -m leaddash reactivate-user {args.username}` to let them back in."
        )
    return 0


def cmd_end_logins(args: argparse.Namespace) -> int:
    from leaddash.logins import end_logins

    with write_session(_engine()) as session:
        ended = end_logins(session, actor=CLI_ACTOR, username=args.username)
    print(
        f"Ended {ended} login{'' if ended == 1 else 's'} of {args.username!r}; each of "
        "their open tabs asks them to log in again."
    )
    return 0


def _add_end_logins_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "end-logins", help="end every login of a user: their open tabs must log in again"
    )
    p.add_argument("username")
    p.set_defaults(func=cmd_end_logins)


def _day(text: str | None, option: str) -> date | None:
    """Return the date written as YYYY-MM-DD, or raise InvalidInput naming the option."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option} must be a date like 2026-01-31, not {text!r}.") from None


def cmd_whatif(args: argparse.Namespace) -> int:
    from leaddash.whatif import definition_by_number, replay

    since, until = _day(args.since, "--since"), _day(args.until, "--until")
    with read_session(_engine()) as session:
        version = definition_by_number(session, actor=CLI_ACTOR, number=args.version)
        against = (
            None
            if args.against is None
            else definition_by_number(session, actor=CLI_ACTOR, number=args.against).id
        )
        result = replay(
            session,
            actor=CLI_ACTOR,
            version_id=version.id or 0,
            against_id=against,
            since=since,
            until=until,
        )
    if args.format == "csv":
        sys.stdout.write(result.to_csv())
    else:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from leaddash.bench import DEFAULT_OUTPUT, format_table, run_bench

    output = Path(args.output) if args.output else DEFAULT_OUTPUT
    report = run_bench(
        leads=args.leads,
        per_lead=args.activities_per_lead,
        output=output,
        only=args.only or (),
        fresh=args.fresh,
    )
    data = report["dataset"]
    print(
        f"Dataset: {data['leads']:,} leads ({data['open_leads']:,} open), "
        f"{data['activities']:,} activities ({data['open_activities']:,} of open leads); "
        f"{data['path']} (ready in {data['prepare_seconds']} s)"
    )
    print(format_table(report["measurements"]))
    print(f"(A process that only loads the benchmark peaks at {report['idle_rss_mb']:.0f} MiB.)")
    print(f"Written to {output}.")
    return 0 if all(r["within_limit"] is not False for r in report["measurements"]) else 1


def cmd_import(args: argparse.Namespace) -> int:
    from leaddash.imports import (
        LOCAL_MAX_BYTES,
        check_mapping_size,
        check_size,
        chosen_mapping,
        import_file,
        mapping_file_text,
        read_table,
    )

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInput(f"There is no file {args.file!r}: check the path.")
    mapping_text = (
        mapping_file_text(_file_bytes(args.mapping, "mapping file", check_mapping_size))
        if args.mapping
        else None
    )
    mapping = chosen_mapping(args.kind, mapping_text=mapping_text, preset_name=args.preset)
    data = _file_bytes(args.file, "file", lambda size: check_size(size, path.name, LOCAL_MAX_BYTES))
    table = read_table(data, path.name, LOCAL_MAX_BYTES)
    opened = read_session if args.dry_run else write_session
    with opened(_engine()) as session:
        result = import_file(
            session,
            actor=CLI_ACTOR,
            kind=args.kind,
            table=table,
            mapping=mapping,
            dry_run=args.dry_run,
            skip_bad_rows=args.skip_bad_rows,
        )
    print(result.summary())
    for line in result.report():
        print(line, file=sys.stderr if result.refused else sys.stdout)
    return 1 if result.refused else 0


def _file_bytes(name: str, what: str, check_size: Callable[[int], None]) -> bytes:
    """Return the bytes of the file `name` once `check_size` accepted its size (a file too
    large is refused before it is read)."""
    path = Path(name)
    if not path.is_file():
        raise InvalidInput(f"There is no {what} {name!r}: check the path.")
    check_size(path.stat().st_size)
    return path.read_bytes()


def cmd_analytics_rebuild(args: argparse.Namespace) -> int:
    from leaddash.facts.refresh import rebuild_all_facts

    started = time.perf_counter()
    with write_session(_engine()) as session:
        passes = rebuild_all_facts(session)
    print(
        f"Rebuilt the dashboards' facts ({passes:,} rows, one per lead and qualification "
        f"round) in {time.perf_counter() - started:.1f} s."
    )
    return 0


def _add_analytics_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analytics", help="maintain the fact table the dashboards read")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    rebuild = actions.add_parser(
        "rebuild",
        help="rebuild it from every lead's events and "
        "touches (after a bulk load, a restore or an upgrade)",
    )
    rebuild.set_defaults(func=cmd_analytics_rebuild)


def cmd_report(args: argparse.Namespace) -> int:
    from leaddash.reports import (
        build_report,
        csv_text,
        csv_zip,
        report_html,
        report_json,
        session_reader,
    )

    start, end = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if args.format == "csv" and args.output and not args.output.endswith(".zip"):
        raise InvalidInput(
            "A CSV report holds several tables and is written as a zip: "
            "name the output file …zip, or leave --output out to print it."
        )
    with read_session(_engine()) as session:
        report = build_report(
            session_reader(session, actor=CLI_ACTOR),
            name=args.report,
            start=start,
            end=end,
            by=args.by,
        )
    if args.format == "csv":
        content: str | bytes = csv_zip(report) if args.output else csv_text(report)
    else:
        content = report_html(report) if args.format == "html" else report_json(report) + "\n"
    if not args.output:
        sys.stdout.write(content if isinstance(content, str) else content.decode())
        return 0
    path = Path(args.output)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    print(f"Wrote {report.title} ({report.period}) to {path}.")
    return 0


def _add_report_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="the funnel, SLA, calibration or monthly review report "
        "as CSV, JSON or a self-contained HTML page",
    )
    p.add_argument("report", choices=("funnel", "sla", "calibration", "review"))
    p.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help="first day (YYYY-MM-DD); for review, any day of the month to review "
        "(default: the last full month)",
    )
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day (YYYY-MM-DD)")
    p.add_argument(
        "--by",
        metavar="FIELD",
        help="funnel: source, campaign, segment, team, rep "
        "or definition_version; sla: month, team or rep",
    )
    p.add_argument("--format", choices=("csv", "json", "html"), default="csv")
    p.add_argument(
        "--output", metavar="FILE", help="write to FILE (a .zip for csv) instead of printing"
    )
    p.set_defaults(func=cmd_report)


def _add_import_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import leads, activities or outcomes from a CSV file "
        "(all rows or none, unless --skip-bad-rows)",
    )
    p.add_argument("kind", choices=("leads", "activities", "outcomes"))
    p.add_argument(
        "file", metavar="FILE", help="CSV file (UTF-8 or Latin-1; delimiter , ; tab or | detected)"
    )
    p.add_argument(
        "--mapping",
        metavar="MAPPING.yaml",
        help="YAML file mapping our fields "
        "to the file's columns (with --preset: its entries override the preset's)",
    )
    p.add_argument(
        "--preset",
        choices=("salesforce", "hubspot", "marketo"),
        help="the export headers of a CRM, as its screens and its API name them (leads only)",
    )
    p.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
    p.add_argument(
        "--skip-bad-rows", action="store_true", help="import the good rows and report the bad ones"
    )
    p.set_defaults(func=cmd_import)


def _add_analysis_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "whatif",
        help="replay a definition version over past leads and "
        "compare it with another (default: the active one)",
    )
    p.add_argument(
        "--version",
        type=int,
        required=True,
        metavar="N",
        help="number of the definition version to try (draft or past)",
    )
    p.add_argument(
        "--against",
        type=int,
        metavar="M",
        help="number of the version to compare with (default: the active one)",
    )
    p.add_argument("--since", metavar="DATE", help="first day of lead creation (YYYY-MM-DD)")
    p.add_argument("--until", metavar="DATE", help="last day of lead creation (YYYY-MM-DD)")
    p.add_argument("--format", choices=("json", "csv"), default="json")
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("bench", help="time the scoring engine on a synthetic dataset")
    p.add_argument(
        "--leads",
        type=int,
        default=100_000,
        help="open leads to rescore (default 100000; a quarter more are decided)",
    )
    p.add_argument(
        "--activities-per-lead",
        type=int,
        default=10,
        metavar="K",
        help="activities per lead (default 10)",
    )
    p.add_argument("--output", help="JSON report file (default bench-results/bench.json)")
    p.add_argument(
        "--only", action="append", metavar="NAME", help="run only this measurement (repeatable)"
    )
    p.add_argument("--fresh", action="store_true", help="rebuild the dataset under data/bench/")
    p.set_defaults(func=cmd_bench)


def cmd_load(args: argparse.Namespace) -> int:
    from leaddash.load import run_load

    report = run_load(
        _engine(), workers=args.workers, seconds=args.seconds, leads=args.leads, seed=args.seed
    )
    print("\n".join(report.lines()))
    for error in report.unhandled:
        print(error.traceback, file=sys.stderr)
    return 0 if report.ok else 1


def cmd_worker(args: argparse.Namespace) -> int:
    import threading

    from leaddash.worker import new_holder, run_forever, run_pass

    engine = _engine()
    if args.once:
        report = run_pass(engine, holder=new_holder())
        if not report.leader:
            print("Another worker holds the lease: it sends; this pass did nothing.")
            return 0
        print(
            f"Sent {report.sent}, retrying {report.retrying}, failed {report.failed}"
            + "".join(f"; job failed: {e}" for e in report.job_errors)
            + "."
        )
        return 0
    print("Notification worker running (one pass every 30 s); Ctrl-C stops it.")
    run_forever(engine, threading.Event())
    return 0


def _add_worker_command(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "worker",
        help="run the notification worker: periodic jobs, then send the outbox "
        "(the server starts one itself unless LEADDASH_WORKER=0)",
    )
    p.add_argument("--once", action="store_true", help="one pass, then exit 0 (for cron)")
    p.set_defaults(func=cmd_worker)


def _add_load_command(sub: argparse._SubParsersAction) -> None:
    about = (
        "load and faults run: WRITES TEST DATA (its own teams, users, agreements and "
        "leads) into an empty database, runs concurrent workers, then checks every "
        "write; refuses a database with users or leads"
    )
    p = sub.add_parser("load", help=about, description=about[:1].upper() + about[1:] + ".")
    p.add_argument("--workers", type=int, default=20, help="concurrent workers (default 20)")
    p.add_argument("--seconds", type=float, default=60, help="how long they work (default 60)")
    p.add_argument("--leads", type=int, default=1200, help="open MQLs seeded (default 1200)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.set_defaults(func=cmd_load)


def _add_role_commands(sub: argparse._SubParsersAction, roles: str) -> None:
    p = sub.add_parser("reactivate-user", help="let a deactivated user log in again")
    p.add_argument("username")
    p.set_defaults(func=cmd_reactivate_user)

    p = sub.add_parser(
        "set-role",
        help="change a user's role (the way back to an admin when "
        "no admin can log in); the last active admin keeps theirs",
    )
    p.add_argument("username")
    p.add_argument("role", help=f"one of: {roles}")
    p.set_defaults(func=cmd_set_role)


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
    p = sub.add_parser(
        "create-user", help="create a user; the password is read from a prompt or from stdin"
    )
    p.add_argument("username")
    p.add_argument("--role", required=True, help=f"one of: {roles}")
    p.add_argument("--team")
    p.add_argument("--name")
    p.add_argument("--email")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("create-team", help="create a team, optionally with its sales manager")
    p.add_argument("name", metavar="NAME")
    p.add_argument(
        "--manager",
        metavar="USER",
        help="username of the team's manager: a rep or "
        "sales manager, who becomes a sales manager in this team",
    )
    p.set_defaults(func=cmd_create_team)

    p = sub.add_parser("set-password", help="set a user's password (read from a prompt or stdin)")
    p.add_argument("username")
    p.set_defaults(func=cmd_set_password)

    p = sub.add_parser(
        "deactivate-user",
        help="stop a user from logging in; their open leads "
        "go to their team's queue, or to the rep named by --leads-to",
    )
    p.add_argument("username")
    p.add_argument(
        "--leads-to",
        default=LEADS_TO_QUEUE,
        metavar="queue|USERNAME",
        help="where the user's open leads go: 'queue' (default: their team's "
        "queue, unassigned) or the username of an active rep",
    )
    p.set_defaults(func=cmd_deactivate_user)
    _add_role_commands(sub, roles)
    _add_end_logins_command(sub)
    _add_analysis_commands(sub)
    _add_import_command(sub)
    _add_analytics_command(sub)
    _add_report_command(sub)
    _add_load_command(sub)
    _add_worker_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except LeadDashError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if isinstance(exc, ConfigError) and exc.detail:
            print(f"detail: {exc.detail}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrupted; nothing more was changed.", file=sys.stderr)
        return 130
