"""`monitor report`: one day's self-contained drift report, written by hand."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli._common import EXIT_OK, CommandError, _load, _now


def cmd_report(args: argparse.Namespace) -> int:
    from monitor.pipeline.runtime import build_runtime
    from monitor.services.daily_report import write_daily_report
    from monitor.services.report_files import report_day
    from monitor.store import upgrade_database

    config = _load(args.config)
    if args.monitor not in config.monitors:
        raise CommandError(f"no monitor named {args.monitor!r} (known: {', '.join(sorted(config.monitors))})")
    try:
        day = report_day(args.date)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_now())
    try:
        path = write_daily_report(runtime, args.monitor, day, Path(args.output) if args.output else None)
    finally:
        runtime.close()
    print(f"wrote the report of {args.monitor} for {day.isoformat()} to {path}")
    return EXIT_OK
