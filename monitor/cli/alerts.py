"""Commands of alert delivery (test a channel, deliver, the delivery log, resend) and silences."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from monitor.cli._common import EXIT_FAILED, EXIT_OK, CommandError, _load, _now
from monitor.clock import system_clock
from monitor.config import Config


def _alert_sessions(config: Config) -> tuple[Any, Any]:
    from monitor.store.engine import make_engine, make_session_factory, upgrade_database

    upgrade_database(config.database_url())
    engine = make_engine(config.database_url())
    return engine, make_session_factory(engine)


def cmd_alerts_test(args: argparse.Namespace) -> int:
    from monitor.services import alerts as alert_service

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
    from monitor.notify.dispatch import deliver_pending

    config = _load(args.config)
    engine, sessions = _alert_sessions(config)
    try:
        delivered = deliver_pending(
            sessions,
            build_notifiers(config.notifiers),
            clock=system_clock,
            lease=config.alerting.dispatch_lease,
            max_age=config.alerting.delivery_max_age,
        )
    finally:
        engine.dispose()
    print(f"{delivered} notification(s) delivered")
    return EXIT_OK


def cmd_alerts_notifications(args: argparse.Namespace) -> int:
    from monitor.services import alerts as alert_service

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
        told = [a.detail for a in n.attempt_log if a.detail]
        if told:  # what an action did: "MLflow credit alias champion: 4 -> 3"
            print(f"        {told[-1]}")
        if n.last_error:
            print(f"        {n.last_error}")
    return EXIT_OK


def cmd_alerts_resend(args: argparse.Namespace) -> int:
    from monitor.services import alerts as alert_service

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
    from monitor.services import alerts as alert_service

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
    from monitor.services import alerts as alert_service

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
    from monitor.services import alerts as alert_service

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
