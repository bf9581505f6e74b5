"""The `monitor` command. Each command parses its arguments and calls a service function; nothing more."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from monitor.config import Config, ConfigError, load_config
from monitor.errors import UserError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(UserError):
    """A message for the user; the command exits non-zero without a traceback."""


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _load(path: str) -> Config:
    return load_config(path)


def cmd_config_validate(args: argparse.Namespace) -> int:
    config = _load(args.file)
    print(f"{args.file}: valid ({len(config.monitors)} monitor(s), {len(config.notifiers)} notifier(s))")
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from monitor.store.engine import upgrade_database

    config = _load(args.config)
    upgrade_database(config.database_url())
    print("database is at the latest schema")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from monitor import pipeline
    from monitor.runtime import build_runtime
    from monitor.store.engine import upgrade_database
    from monitor.windows import last_complete_window, window_containing

    config = _load(args.config)
    if args.monitor not in config.monitors:
        raise CommandError(f"no monitor named {args.monitor!r} (known: {', '.join(sorted(config.monitors))})")
    spec = config.monitors[args.monitor].window
    now = _now()
    if args.window_end is None:
        window = last_complete_window(now, spec.size, spec.timezone, spec.length)
    else:
        window = window_containing(args.window_end - spec.size / 2, spec.size, spec.timezone, spec.length)
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=now)
    try:
        outcome = pipeline.run_monitor(
            runtime, args.monitor, window, now=now, trigger="manual", recompute=True
        )
    finally:
        runtime.close()
    print(outcome.summary())
    return EXIT_OK if outcome.status != "failed" else EXIT_FAILED


def cmd_backfill(args: argparse.Namespace) -> int:
    from monitor import pipeline
    from monitor.runtime import build_runtime
    from monitor.store.engine import upgrade_database

    config = _load(args.config)
    if args.monitor not in config.monitors:
        raise CommandError(f"no monitor named {args.monitor!r} (known: {', '.join(sorted(config.monitors))})")
    if args.to <= args.from_:
        raise CommandError("--to must be after --from")
    upgrade_database(config.database_url())
    now = _now()
    runtime = build_runtime(config, now=now)
    try:
        outcomes = pipeline.backfill(
            runtime, args.monitor, args.from_, args.to, now=now, recompute=args.recompute, progress=_progress
        )
    finally:
        runtime.close()
    failed = [o for o in outcomes if o.status == "failed"]
    done = sum(o.status == "succeeded" for o in outcomes)
    print(f"\n{done} window(s) computed, {len(outcomes) - done - len(failed)} skipped, {len(failed)} failed")
    for outcome in failed:
        print(f"  {outcome.window.label()}: {outcome.error}")
    return EXIT_FAILED if failed else EXIT_OK


def _progress(done: int, total: int, outcome: object) -> None:
    width = 30
    filled = width * done // max(total, 1)
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr, flush=True)


def cmd_drift(args: argparse.Namespace) -> int:
    from monitor.adhoc import compare_files

    output = compare_files(
        Path(args.reference),
        Path(args.current),
        tests=args.tests,
        columns=args.columns,
        fmt=args.format,
        drift_share=args.drift_share,
    )
    if args.output:
        Path(args.output).write_text(output, encoding="utf-8")
    else:
        sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from monitor.service import serve

    config = _load(args.config)
    serve(config, scheduler=not args.no_scheduler, host=args.host, port=args.port)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.service import prepare_demo, serve

    config = _load(args.config)
    prepare_demo(config, now=_now(), regenerate=args.regenerate, progress=_progress)
    if not args.no_serve:
        serve(config, scheduler=True, host=None, port=None)
    return EXIT_OK


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monitor", description="Watch ML models in production.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="API, dashboard and scheduler in one process")
    p.add_argument("--config", required=True)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--no-scheduler", action="store_true", help="web only (the scheduler runs elsewhere)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="one monitoring run now, printed as a summary")
    p.add_argument("monitor")
    p.add_argument("--config", required=True)
    p.add_argument(
        "--window-end", type=_parse_moment, help="end of the window (ISO 8601); default: last closed"
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("backfill", help="every window in a range")
    p.add_argument("monitor")
    p.add_argument("--config", required=True)
    p.add_argument("--from", dest="from_", type=_parse_moment, required=True)
    p.add_argument("--to", type=_parse_moment, required=True)
    p.add_argument("--recompute", action="store_true", help="recompute windows already computed")
    p.set_defaults(func=cmd_backfill)

    p = sub.add_parser("drift", help="compare two CSV or Parquet files, no database needed")
    p.add_argument("reference")
    p.add_argument("current")
    p.add_argument("--tests", type=_split, help="comma-separated, e.g. ks,chi2,psi")
    p.add_argument("--columns", type=_split, help="comma-separated column names")
    p.add_argument("--format", choices=["json", "table", "html"], default="table")
    p.add_argument("--drift-share", type=float, default=0.5)
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_drift)

    p = sub.add_parser("db", help="database schema")
    db = p.add_subparsers(dest="db_command", required=True)
    q = db.add_parser("upgrade", help="apply Alembic migrations")
    q.add_argument("--config", required=True)
    q.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("config", help="configuration file")
    cfg = p.add_subparsers(dest="config_command", required=True)
    q = cfg.add_parser("validate", help="report every error with its path")
    q.add_argument("file")
    q.set_defaults(func=cmd_config_validate)

    p = sub.add_parser("demo", help="generate the demo data, backfill it, serve the dashboard")
    p.add_argument("--config", default="config/demo.yaml")
    p.add_argument("--regenerate", action="store_true", help="write the demo data anew")
    p.add_argument("--no-serve", action="store_true")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Alembic and APScheduler narrate every step; only their warnings matter to a user.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(
            f"configuration error in {getattr(args, 'config', None) or getattr(args, 'file', '')}:",
            file=sys.stderr,
        )
        for path, message in exc.errors:
            print(f"  {path or '(file)'}: {message}", file=sys.stderr)
        return EXIT_USAGE
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
