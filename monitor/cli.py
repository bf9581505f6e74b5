"""The `monitor` command. Each command parses its arguments and calls a service function; nothing more."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

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
    from monitor.runtime import build_runtime
    from monitor.service import run_manual
    from monitor.store.engine import upgrade_database

    config = _load(args.config)
    if args.monitor not in config.monitors:
        raise CommandError(f"no monitor named {args.monitor!r} (known: {', '.join(sorted(config.monitors))})")
    upgrade_database(config.database_url())
    now = _now()
    runtime = build_runtime(config, now=now)
    try:
        outcome = run_manual(runtime, args.monitor, window_end=args.window_end, now=now)
    finally:
        runtime.close()
    print(outcome.summary())
    if outcome.status == "skipped":
        print(f"error: the run did not happen: {outcome.reason}", file=sys.stderr)
    return EXIT_OK if outcome.status == "succeeded" else EXIT_FAILED


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


def _alert_sessions(config: Config) -> tuple[Any, Any]:
    from monitor.store.engine import make_engine, make_session_factory, upgrade_database

    upgrade_database(config.database_url())
    engine = make_engine(config.database_url())
    return engine, make_session_factory(engine)


def cmd_alerts_test(args: argparse.Namespace) -> int:
    from monitor import alert_service

    config = _load(args.config)
    try:
        result = alert_service.send_test(config, args.channel, now=_now())
    except alert_service.NotFound as exc:
        raise CommandError(str(exc).strip("'\"")) from None
    if result.ok:
        print(f"sent a test message to {args.channel}")
        return EXIT_OK
    kind = "a passing fault, the outbox would retry" if result.retryable else "will not work until fixed"
    print(f"could not send to {args.channel}: {result.error} ({kind})", file=sys.stderr)
    return EXIT_FAILED


def cmd_alerts_deliver(args: argparse.Namespace) -> int:
    from monitor.notify import build_notifiers
    from monitor.notify.outbox import deliver_pending

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        delivered = deliver_pending(
            sessions,
            build_notifiers(config.notifiers),
            now=_now(),
            lease=config.alerting.dispatch_lease,
            max_age=config.alerting.delivery_max_age,
        )
    finally:
        engine.dispose()
    print(f"{delivered} notification(s) delivered")
    return EXIT_OK


def cmd_alerts_notifications(args: argparse.Namespace) -> int:
    from monitor import alert_service

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        items, _ = alert_service.list_notifications(sessions, status=args.status, limit=args.limit)
    finally:
        engine.dispose()
    if not items:
        print("no notification" + (f" with status {args.status}" if args.status else ""))
    for n in items:
        print(f"{n.id:>6}  {n.status:<9} {n.channel:<16} attempts={n.attempts}  {n.headline}")
        if n.last_error:
            print(f"        {n.last_error}")
    return EXIT_OK


def cmd_alerts_resend(args: argparse.Namespace) -> int:
    from monitor import alert_service

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        for outbox_id in args.ids:
            try:
                row = alert_service.resend(
                    sessions, outbox_id, now=_now(), max_age=config.alerting.delivery_max_age
                )
            except alert_service.NotFound as exc:
                raise CommandError(str(exc).strip("'\"")) from None
            except alert_service.AlertInputError as exc:
                raise CommandError(str(exc)) from None
            print(f"notification {row.id} to {row.channel} queued again (key {row.idempotency_key})")
    finally:
        engine.dispose()
    return EXIT_OK


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def cmd_silence_add(args: argparse.Namespace) -> int:
    from monitor import alert_service

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        silence = alert_service.create_silence(
            sessions,
            matchers=args.matchers,
            author=args.author or _login_name(),
            comment=args.comment,
            now=_now(),
            ends_at=args.until,
            duration=args.duration if args.until is None else None,
        )
    except alert_service.AlertInputError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()
    print(f"silence {silence.id} until {silence.ends_at.isoformat()}: {' '.join(silence.matchers)}")
    return EXIT_OK


def cmd_silence_list(args: argparse.Namespace) -> int:
    from monitor import alert_service

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        items = alert_service.list_silences(sessions, now=_now(), include_expired=args.all)
    finally:
        engine.dispose()
    if not items:
        print("no silence" if args.all else "no active or pending silence")
    for s in items:
        print(
            f"{s.id:>5}  {s.state:<8} until {s.ends_at.isoformat(timespec='minutes')}  "
            f"{' '.join(s.matchers)}  ({s.author}: {s.comment})"
        )
    return EXIT_OK


def cmd_silence_expire(args: argparse.Namespace) -> int:
    from monitor import alert_service

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        for silence_id in args.ids:
            try:
                silence = alert_service.expire_silence(sessions, silence_id, now=_now())
            except alert_service.NotFound as exc:
                raise CommandError(str(exc).strip("'\"")) from None
            print(f"silence {silence.id} expired")
    finally:
        engine.dispose()
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

    p = sub.add_parser("alerts", help="alert channels and the delivery log")
    alerts = p.add_subparsers(dest="alerts_command", required=True)
    q = alerts.add_parser("test", help="send a test message to a configured channel now")
    q.add_argument("channel")
    q.add_argument("--config", required=True)
    q.set_defaults(func=cmd_alerts_test)
    q = alerts.add_parser("deliver", help="one dispatcher pass over the outbox")
    q.add_argument("--config", required=True)
    q.set_defaults(func=cmd_alerts_deliver)
    q = alerts.add_parser("notifications", help="the delivery log, newest first")
    q.add_argument("--config", required=True)
    q.add_argument("--status", choices=["pending", "sending", "delivered", "dead"])
    q.add_argument("--limit", type=int, default=50)
    q.set_defaults(func=cmd_alerts_notifications)
    q = alerts.add_parser("dead-letters", help="notifications that were given up")
    q.add_argument("--config", required=True)
    q.add_argument("--limit", type=int, default=50)
    q.set_defaults(func=cmd_alerts_notifications, status="dead")
    q = alerts.add_parser("resend", help="queue dead letters again (same idempotency key)")
    q.add_argument("ids", type=int, nargs="+")
    q.add_argument("--config", required=True)
    q.set_defaults(func=cmd_alerts_resend)

    p = sub.add_parser("silence", help="hold back notifications of matching alerts")
    silence = p.add_subparsers(dest="silence_command", required=True)
    q = silence.add_parser("add", help="add a silence: monitor silence add rule=drift column=~'a|b' ...")
    q.add_argument("matchers", nargs="+", help="name=value, name!=value, name=~regex, name!~regex")
    q.add_argument("--config", required=True)
    q.add_argument("--author", help="who silences (default: the login name)")
    q.add_argument("--comment", required=True, help="why (an incident, a known change)")
    q.add_argument("--duration", default="2h", help="e.g. 30m, 2h, 3d (default 2h)")
    q.add_argument("--until", type=_parse_moment, help="end time (ISO 8601) instead of --duration")
    q.set_defaults(func=cmd_silence_add)
    q = silence.add_parser("list", help="active and pending silences")
    q.add_argument("--config", required=True)
    q.add_argument("--all", action="store_true", help="expired ones too")
    q.set_defaults(func=cmd_silence_list)
    q = silence.add_parser("expire", help="end silences now")
    q.add_argument("ids", type=int, nargs="+")
    q.add_argument("--config", required=True)
    q.set_defaults(func=cmd_silence_expire)

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
    except OperationalError as exc:
        # The driver's message names host and port, never the password.
        print(f"error: cannot reach the database: {exc.orig}", file=sys.stderr)
        return EXIT_FAILED
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
