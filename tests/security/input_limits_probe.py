"""The inputs of the issue-12 probe, and the process that measures what refusing them costs.

Run as a script (by tests/security/test_input_limits_memory.py) in a process of its own:

    python tests/security/input_limits_probe.py CSV [MAPPING] [--paths cli,page] [--allocate MB]

It first imports and warms up the paths the file goes through (the command line's `import
leads --dry-run` over a small file, the Import page rendering a small file's preview in
AppTest), takes the resident set it holds then as its baseline, then feeds CSV (with
MAPPING as the mapping file) to each path and prints one JSON line: the baseline and the
peak (VmHWM) after each path, in KiB, and the message each path showed. Address space is
capped 2 GiB above the baseline, so a regression fails with MemoryError instead of taking the machine. DATABASE_URL must
name a database with a `marketing` user (the page logs in as them).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CAP_BYTES = 2 * 1024**3
SMALL_CSV = b"Email,Company\na@b.example,Acme\n"
SMALL_MAPPING = b"fields:\n  email: Email\n  company: Company\n"
HOW = "How are the columns named?"
MAPPING_FILE = "Upload a mapping file (YAML)"


def alias_bomb(levels: int) -> str:
    """Return the probe's mapping file: each level an anchored list of nine aliases of the
    level below (nine levels stand for 9**9 strings in a few hundred bytes)."""
    lines = [
        "fields: {email: Email}",
        'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    lines += [f"l{n}: &l{n} [{','.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + "\n"


def wide_csv(columns: int, rows: int = 1) -> bytes:
    """Return a CSV file of `columns` columns (an email first) and `rows` rows of data."""
    header = ",".join(["Email", *(f"c{n}" for n in range(columns - 1))])
    row = ",".join(["a@b.example", *(["v"] * (columns - 1))])
    return "\n".join([header, *[row] * rows]).encode() + b"\n"


def big_cell_csv(chars: int) -> bytes:
    """Return a CSV file whose one row holds a custom cell of `chars` characters."""
    return b"Email,Notes\na@b.example," + b"n" * chars + b"\n"


def peak_kib() -> int:
    """Return this process's peak resident set size so far, in KiB: /proc's VmHWM, which
    belongs to this program alone (ru_maxrss also keeps the peak of the process it was
    forked from, a test worker of many hundred MB)."""
    return status_kib("VmHWM")


def reset_peak() -> None:
    """Start the peak over from what the process holds now (Linux 4.0 and later)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def cli_message(csv: Path, mapping: Path | None) -> str:
    """Return what `import leads CSV --dry-run [--mapping M]` printed on stderr."""
    from leaddash.cli import main

    argv = ["import", "leads", str(csv), "--dry-run"]
    argv += ["--mapping", str(mapping)] if mapping else []
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return f"exit {code}: {errors.getvalue().strip()}"


def page_run(at, data: bytes, mapping: bytes | None):
    """Return the AppTest after the Import page ran with `data` (and `mapping`)."""
    from leaddash.ui.imports import INJECTED_FILE, INJECTED_MAPPING

    at.session_state[INJECTED_FILE] = ("upload.csv", data)
    at.run()
    if mapping is not None:
        next(s for s in at.selectbox if s.label == HOW).set_value(MAPPING_FILE)
        at.session_state[INJECTED_MAPPING] = ("upload.yaml", mapping)
        at.run()
    return at


def page_message(at) -> str:
    """Return the page's error (or its exception, or that it showed none)."""
    from tests.apptest import seen

    if at.exception:
        return f"exception: {at.exception[0].value}"
    return seen(at.error[0].value) if at.error else "no error shown"


def warmed_page(with_mapping: bool):
    """Return an AppTest of the Import page, logged in, after a small file's preview."""
    from tests.apptest import app_as

    at = app_as("marketing", "pages/import_data.py")
    return page_run(at, SMALL_CSV, SMALL_MAPPING if with_mapping else None)


def status_kib(name: str) -> int:
    """Return a size this process's /proc status gives (VmRSS, VmSize …), in KiB."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith(f"{name}:")))


def cap_address_space() -> None:
    """Cap the address space CAP_BYTES above what the process maps now."""
    limit = status_kib("VmSize") * 1024 + CAP_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))


def measure(args: argparse.Namespace) -> dict:
    """Return the baseline, the peak after each path and each path's message."""
    paths = args.paths.split(",")
    small, small_mapping = args.csv.with_name("small.csv"), args.csv.with_name("small.yaml")
    small.write_bytes(SMALL_CSV)
    small_mapping.write_bytes(SMALL_MAPPING)
    if "cli" in paths:
        cli_message(small, small_mapping if args.mapping else None)
    at = warmed_page(args.mapping is not None) if "page" in paths else None
    # What the process holds now, not its peak so far: the warm-up's passing peaks would
    # hide as much of a later one (a 350 MB allocation showed as 262 MB).
    report: dict = {"baseline_kib": status_kib("VmRSS"), "warm_peak_kib": peak_kib()}
    reset_peak()
    cap_address_space()
    if args.allocate:
        ballast = b"x" * (args.allocate * 1024 * 1024)
        del ballast
    if "cli" in paths:
        report["cli"] = cli_message(args.csv, args.mapping)
        report["cli_peak_kib"] = peak_kib()
    if at is not None:
        mapping = args.mapping.read_bytes() if args.mapping else None
        report["page"] = page_message(page_run(at, args.csv.read_bytes(), mapping))
        report["page_peak_kib"] = peak_kib()
    return report


def main() -> None:
    """Parse the arguments, measure, print the report as one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("mapping", type=Path, nargs="?")
    parser.add_argument("--paths", default="cli,page")
    parser.add_argument("--allocate", type=int, default=0, metavar="MB")
    sys.path.insert(0, str(ROOT))
    try:
        report = measure(parser.parse_args())
    except MemoryError:
        report = {"error": "MemoryError: the address space cap was reached"}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
