"""The `monitor` command. Each command parses its arguments and calls a service function; nothing more."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from monitor.cli._common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError
from monitor.cli.logs import configure as configure_logging
from monitor.errors import UserError

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "CommandError", "build_parser", "main"]


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _parse_day_or_moment(text: str) -> date | datetime:
    """A date stays a date and a naive time stays naive: the service reads both in the monitor's time
    zone, which is not known while arguments are parsed."""
    try:
        return date.fromisoformat(text)  # refuses anything with a time part
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _command(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command's function, imported only when that command runs: each command module imports what
    it needs (the database, the config, the drift engine), so `monitor drift` on two files starts
    without SQLAlchemy, Alembic and pydantic (about 0.4 s of imports)."""

    def run(args: argparse.Namespace) -> int:
        function = getattr(importlib.import_module(f"monitor.cli.{module}"), name)
        return int(function(args))

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description="Watch ML models in production.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=os.environ.get("MONITOR_LOG_FORMAT", "text"),
        help="json: an object a line, with monitor, window and run_id (default: $MONITOR_LOG_FORMAT or text)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run_commands(sub)
    _add_admin_commands(sub)
    _add_alert_commands(sub)
    _add_silence_commands(sub)
    return parser


Subparsers = argparse._SubParsersAction


def _add_run_commands(sub: Subparsers[argparse.ArgumentParser]) -> None:

    p = sub.add_parser("serve", help="API, dashboard and scheduler in one process")
    p.add_argument("--config", required=True)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--no-scheduler", action="store_true", help="web only (the scheduler runs elsewhere)")
    p.set_defaults(func=_command("serve", "cmd_serve"))

    p = sub.add_parser("schedule", help="the scheduler alone (beside `serve --no-scheduler` web workers)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=_command("serve", "cmd_schedule"))

    p = sub.add_parser("run", help="one monitoring run now, printed as a summary")
    p.add_argument("monitor")
    p.add_argument("--config", required=True)
    p.add_argument(
        "--window-end", type=_parse_moment, help="end of the window (ISO 8601); default: last closed"
    )
    p.set_defaults(func=_command("runs", "cmd_run"))
    _add_backfill(sub)

    p = sub.add_parser("runs", help="stored runs")
    runs = p.add_subparsers(dest="runs_command", required=True)
    q = runs.add_parser("list", help="runs, oldest window first, with their status and why")
    q.add_argument("--config", required=True)
    q.add_argument("--monitor", help="one monitor (default: all)")
    q.add_argument("--status", choices=["running", "succeeded", "failed"])
    q.add_argument("--limit", type=int, default=1000)
    q.set_defaults(func=_command("runs", "cmd_runs_list"))

    p = sub.add_parser("drift", help="compare two CSV or Parquet files, no database needed")
    p.add_argument("reference")
    p.add_argument("current")
    p.add_argument("--tests", type=_split, help="comma-separated, e.g. ks,chi2,psi")
    p.add_argument("--columns", type=_split, help="comma-separated column names")
    p.add_argument("--format", choices=["json", "table", "html"], default="table")
    p.add_argument("--drift-share", type=float, default=0.5)
    p.add_argument("-o", "--output")
    p.set_defaults(func=_command("runs", "cmd_drift"))

    p = sub.add_parser("report", help="one day's self-contained HTML drift report (opens from disk)")
    p.add_argument("monitor")
    p.add_argument("--config", required=True)
    p.add_argument("--date", required=True, help="the day, YYYY-MM-DD (in the monitor's time zone)")
    p.add_argument("-o", "--output", help="the file to write (default: the configured reports folder)")
    p.set_defaults(func=_command("reports", "cmd_report"))

    p = sub.add_parser("demo", help="generate the demo data, backfill it, serve the dashboard")
    p.add_argument("--config", default="config/demo.yaml")
    p.add_argument("--regenerate", action="store_true", help="write the demo data anew")
    p.add_argument("--no-serve", action="store_true")
    p.set_defaults(func=_command("serve", "cmd_demo"))


def _add_backfill(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backfill",
        help="every window in a range [--from, --to)",
        description="Compute every closed window inside the half-open range [--from, --to). Dates and "
        "times without an offset are read in the monitor's window time zone; a date is its midnight, so "
        "`--to 2024-03-31` stops at 2024-03-31 00:00 and leaves that day out (`--to 2024-04-01` "
        "includes it). Windows reaching over either edge are named and skipped unless --partial.",
    )
    p.add_argument("monitor")
    p.add_argument("--config", required=True)
    p.add_argument(
        "--from", dest="from_", type=_parse_day_or_moment, required=True, help="start, included (ISO 8601)"
    )
    p.add_argument("--to", type=_parse_day_or_moment, required=True, help="end, excluded (ISO 8601)")
    p.add_argument("--recompute", action="store_true", help="recompute windows already computed")
    p.add_argument(
        "--partial",
        action="store_true",
        help="also compute, whole, the windows that start before --from or end after --to",
    )
    p.set_defaults(func=_command("runs", "cmd_backfill"))


def _add_admin_commands(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("db", help="database schema")
    db = p.add_subparsers(dest="db_command", required=True)
    q = db.add_parser("upgrade", help="apply Alembic migrations")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("runs", "cmd_db_upgrade"))

    p = sub.add_parser("prune", help="remove data older than the retention settings, now")
    p.add_argument("--config", required=True)
    p.set_defaults(func=_command("runs", "cmd_prune"))

    p = sub.add_parser("apikey", help="API keys: create (the token is shown once), list, revoke")
    keys = p.add_subparsers(dest="apikey_command", required=True)
    q = keys.add_parser("create", help="a new key; prints its token once")
    q.add_argument("--config", required=True)
    q.add_argument("--name", required=True)
    q.add_argument("--scope", required=True, choices=["read", "ingest", "operate", "admin"])
    q.add_argument("--model", action="append", help="ingest keys: a model it may push for (repeatable)")
    q.add_argument("--monitor", action="append", help="ingest keys: the model of this monitor (repeatable)")
    q.add_argument("--expires", help="e.g. 90d, 12h (default: never)")
    q.set_defaults(func=_command("keys", "cmd_apikey_create"))
    q = keys.add_parser("list", help="every key with its scope, state and last use")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("keys", "cmd_apikey_list"))
    q = keys.add_parser("revoke", help="revoke a key now (its browser sessions end too)")
    q.add_argument("name")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("keys", "cmd_apikey_revoke"))

    p = sub.add_parser("config", help="configuration file")
    cfg = p.add_subparsers(dest="config_command", required=True)
    q = cfg.add_parser(
        "validate",
        help="report every error with its path (and `files` paths that match no file)",
        description="Every error with its path in the file, in one pass; exit 0 when there is none.",
    )
    q.add_argument("file")
    q.add_argument(
        "--check-sources",
        action="store_true",
        help="also open every monitor's source, reference and labels, read a small sample of each, "
        "and check the configured columns and their types",
    )
    q.set_defaults(func=_command("runs", "cmd_config_validate"))


def _add_alert_commands(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("alerts", help="alert channels and the delivery log")
    alerts = p.add_subparsers(dest="alerts_command", required=True)
    q = alerts.add_parser("test", help="send a test message to a configured channel now")
    q.add_argument("channel")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("alerts", "cmd_alerts_test"))
    q = alerts.add_parser("deliver", help="one dispatcher pass over the outbox")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("alerts", "cmd_alerts_deliver"))
    q = alerts.add_parser("notifications", help="the delivery log, newest first")
    q.add_argument("--config", required=True)
    q.add_argument("--status", choices=["pending", "sending", "delivered", "dead"])
    q.add_argument("--limit", type=int, default=50)
    q.set_defaults(func=_command("alerts", "cmd_alerts_notifications"))
    q = alerts.add_parser("dead-letters", help="notifications that were given up")
    q.add_argument("--config", required=True)
    q.add_argument("--limit", type=int, default=50)
    q.set_defaults(func=_command("alerts", "cmd_alerts_notifications"), status="dead")
    q = alerts.add_parser("resend", help="queue dead letters again (same idempotency key)")
    q.add_argument("ids", type=int, nargs="+")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("alerts", "cmd_alerts_resend"))


def _add_silence_commands(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("silence", help="hold back notifications of matching alerts")
    silence = p.add_subparsers(dest="silence_command", required=True)
    q = silence.add_parser("add", help="add a silence: monitor silence add rule=drift column=~'a|b' ...")
    q.add_argument("matchers", nargs="+", help="name=value, name!=value, name=~regex, name!~regex")
    q.add_argument("--config", required=True)
    q.add_argument("--author", help="who silences (default: the login name)")
    q.add_argument("--comment", required=True, help="why (an incident, a known change)")
    q.add_argument("--duration", default="2h", help="e.g. 30m, 2h, 3d (default 2h)")
    q.add_argument("--until", type=_parse_moment, help="end time (ISO 8601) instead of --duration")
    q.set_defaults(func=_command("alerts", "cmd_silence_add"))
    q = silence.add_parser("list", help="active and pending silences")
    q.add_argument("--config", required=True)
    q.add_argument("--all", action="store_true", help="expired ones too")
    q.set_defaults(func=_command("alerts", "cmd_silence_list"))
    q = silence.add_parser("expire", help="end silences now")
    q.add_argument("ids", type=int, nargs="+")
    q.add_argument("--config", required=True)
    q.set_defaults(func=_command("alerts", "cmd_silence_expire"))


def _terminate(signum: int, _frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so a run in progress is recorded as abandoned, not left running.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    configure_logging(verbose=args.verbose, fmt=args.log_format)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        code = _failure(exc, args)
        if code is None:
            raise
        return code


def _failure(exc: Exception, args: argparse.Namespace) -> int | None:
    """The exit code of an error the user can act on, said plainly on stderr; None for any other."""
    # Imported on the way out with an error, not at the top: commands that never use the config or
    # the database (`monitor drift`) do not pay for importing them.
    from monitor.config import ConfigError
    from monitor.store import DatabaseUnavailable

    if isinstance(exc, ConfigError):
        print(
            f"configuration error in {getattr(args, 'config', None) or getattr(args, 'file', '')}:",
            file=sys.stderr,
        )
        for path, message in exc.errors:
            print(f"  {path or '(file)'}: {message}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(exc, DatabaseUnavailable):
        # The driver's message names host and port, never the password.
        print(f"error: cannot reach the database: {exc.orig}", file=sys.stderr)
        return EXIT_FAILED
    if isinstance(exc, UserError):
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return None
