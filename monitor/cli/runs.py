"""Commands that compute: validate a config, upgrade the database, run, backfill, compare files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor.cli._common import EXIT_FAILED, EXIT_OK, CommandError, _load, _now, _progress


def cmd_config_validate(args: argparse.Namespace) -> int:
    config = _load(args.file)
    print(f"{args.file}: valid ({len(config.monitors)} monitor(s), {len(config.notifiers)} notifier(s))")
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from monitor.store import upgrade_database

    config = _load(args.config)
    upgrade_database(config.database_url())
    print("database is at the latest schema")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.pipeline.runtime import build_runtime
    from monitor.services.runs import run_manual
    from monitor.store import upgrade_database

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
    from monitor.pipeline.runtime import build_runtime
    from monitor.services.runs import backfill
    from monitor.store import upgrade_database

    config = _load(args.config)
    if args.monitor not in config.monitors:
        raise CommandError(f"no monitor named {args.monitor!r} (known: {', '.join(sorted(config.monitors))})")
    if args.to <= args.from_:
        raise CommandError("--to must be after --from")
    upgrade_database(config.database_url())
    now = _now()
    runtime = build_runtime(config, now=now)
    try:
        outcomes = backfill(
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


def cmd_drift(args: argparse.Namespace) -> int:
    from monitor.services.adhoc import compare_files

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
