"""Commands that compute: validate a config, upgrade the database, run, backfill, compare files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli._common import EXIT_FAILED, EXIT_OK, CommandError, _load, _now, _progress

if TYPE_CHECKING:
    from monitor.pipeline.catchup import SkippedWindow
    from monitor.pipeline.run import RunOutcome
    from monitor.services.runs import BackfillReport


def cmd_config_validate(args: argparse.Namespace) -> int:
    from monitor.services.source_check import check_sources, missing_files

    config = _load(args.file)
    # --check-sources reports missing files itself, beside everything else of their monitor.
    problems = [] if args.check_sources else missing_files(config)
    if problems:
        print(f"error in {args.file}:", file=sys.stderr)
        for finding in problems:
            print(f"  {finding.path}: {finding.message}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.file}: valid ({len(config.monitors)} monitor(s), {len(config.notifiers)} notifier(s))")
    if not args.check_sources:
        return EXIT_OK
    checks = check_sources(config)
    for check in checks:
        if check.ok:
            read = ", ".join(f"{rows} {stream}" for stream, rows in check.rows.items())
            print(f"{check.monitor}: ok (rows read: {read})")
            continue
        print(f"{check.monitor}: {len(check.findings)} problem(s)", file=sys.stderr)
        for finding in check.findings:
            print(f"  {finding.path}: {finding.message}", file=sys.stderr)
    return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED


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
    upgrade_database(config.database_url())
    now = _now()
    runtime = build_runtime(config, now=now)
    try:
        report = backfill(
            runtime,
            args.monitor,
            args.from_,
            args.to,
            now=now,
            recompute=args.recompute,
            partial=args.partial,
            progress=_progress,
        )
    finally:
        runtime.close()
    print()
    print(backfill_range_lines(report, timezone=config.monitors[args.monitor].window.timezone))
    print(backfill_summary(report.runs))
    return EXIT_FAILED if any(o.status == "failed" for o in report.runs) else EXIT_OK


_EDGE = {
    "starts_before_from": "starts before --from",
    "ends_after_to": "ends after --to",
    "not_closed": "has not closed yet",
}


def skipped_line(skipped: SkippedWindow) -> str:
    why = " and ".join(_EDGE[r] for r in skipped.reasons)
    if skipped.partial:
        return f"skipped partial window {skipped.window.label()}: {why}; pass --partial to compute it"
    return f"skipped window {skipped.window.label()}: {why}"


def backfill_range_lines(report: BackfillReport, *, timezone: str) -> str:
    """The range as computed, what a date-only --to leaves out, and every edge window not computed."""
    lines = [f"range [{report.start.isoformat()}, {report.end.isoformat()})"]
    if report.end_day_excluded is not None:
        lines.append(
            f"--to {report.end_day_excluded} means {report.end_day_excluded}T00:00 {timezone}, excluded: "
            f"the day {report.end_day_excluded} is not included; --to {report.end_day_included_by} "
            "would include it"
        )
    lines += [skipped_line(s) for s in report.skipped]
    return "\n".join(lines)


_WHY = {
    "retry": "computed again after a failed attempt",
    "lease_expired": "taken over: the process computing it had stopped",
    "running_elsewhere": "being computed by another process",
    "retry_later": "failed; waiting for its retry",
    "gave_up": "failed on every attempt",
    "claim_lost": "its claim ran out and another process took it over",
}


def backfill_summary(outcomes: list[RunOutcome]) -> str:
    """Counts, then every window that was not simply computed or already there, with why."""
    failed = [o for o in outcomes if o.status == "failed"]
    done = sum(o.status == "succeeded" for o in outcomes)
    already = sum(o.reason == "already_succeeded" for o in outcomes)
    skipped = len(outcomes) - done - len(failed)
    lines = [
        f"{done} window(s) computed, {skipped} skipped ({already} already computed), {len(failed)} failed"
    ]
    for outcome in outcomes:
        if outcome.status == "failed":
            lines.append(f"  {outcome.window.label()}: failed: {outcome.error}")
        elif outcome.reason in _WHY:
            lines.append(f"  {outcome.window.label()}: {outcome.status}, {_WHY[outcome.reason]}")
    return "\n".join(lines)


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


def cmd_runs_list(args: argparse.Namespace) -> int:
    """Runs of every monitor (or one), of a status if given, oldest window first."""
    from monitor.pipeline.runtime import build_runtime
    from monitor.services.monitors import runs_page
    from monitor.store import upgrade_database

    config = _load(args.config)
    names = [args.monitor] if args.monitor else sorted(config.monitors)
    if args.monitor and args.monitor not in config.monitors:
        raise CommandError(f"no monitor named {args.monitor!r} (known: {', '.join(sorted(config.monitors))})")
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_now())
    try:
        pages = [runs_page(runtime, name, limit=args.limit, offset=0, status=args.status) for name in names]
    finally:
        runtime.close()
    shown = 0
    for page in pages:
        for run in page.items:
            shown += 1
            why = run.error if run.status == "failed" else run.claim_reason or ""
            held = (
                f" lease until {run.lease_until.isoformat()}"
                if run.status == "running" and run.lease_until
                else ""
            )
            window = f"{run.window_start.isoformat()} .. {run.window_end.isoformat()}"
            state = f"{run.status:<9} attempts={run.attempts}{held}"
            print(f"{run.id:>6}  {run.monitor:<16} {window}  {state}  {why}")
    if not shown:
        print("no run" + (f" with status {args.status}" if args.status else ""))
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    """One retention pass now (the scheduler runs the same every `retention.every`)."""
    from monitor.pipeline.runtime import build_runtime
    from monitor.services.retention import prune
    from monitor.store import upgrade_database

    config = _load(args.config)
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_now())
    try:
        report = prune(runtime)
    finally:
        runtime.close()
    print(report.summary())
    return EXIT_OK
