"""When metric rules judge a window: label coverage, the label horizon, window order, passing over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.rules.maturity import MetricVersion, PendingWindow, plan_judgements, ready_since

DAY0 = datetime(2026, 3, 1, tzinfo=UTC)
HORIZON = timedelta(days=14)
GRACE = timedelta(hours=1)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def window(n: int, *versions: tuple[float | None, float]) -> PendingWindow:
    """Window `n` (a day) with metric versions given as (coverage, computed at day)."""
    return PendingWindow(
        run_id=n,
        start=day(n),
        end=day(n + 1),
        versions=tuple(MetricVersion(i, c, day(at)) for i, (c, at) in enumerate(versions, 1)),
        final_at=day(n + 1) + HORIZON,
    )


def verdicts(windows: list[PendingWindow], now: datetime, min_coverage: float = 0.8) -> list[tuple[int, str]]:
    return [(w.run_id, v) for w, v in plan_judgements(windows, min_coverage, now=now, grace=GRACE)]


def test_ready_from_the_first_version_with_enough_labels() -> None:
    w = window(0, (0.0, 1), (0.5, 3), (0.85, 4), (0.95, 5))
    assert ready_since(w, 0.8) == day(4)
    assert ready_since(w, 0.9) == day(5)
    assert ready_since(w, 0.0) == day(1)  # 0: judged on whatever is known when it runs


def test_a_window_that_never_gets_enough_labels_is_ready_when_it_leaves_the_horizon() -> None:
    w = window(0, (0.0, 1), (0.5, 5))
    assert ready_since(w, 0.8) == day(1) + HORIZON


def test_a_window_without_rows_or_without_metrics_has_nothing_to_wait_for() -> None:
    assert ready_since(window(0, (None, 1)), 0.8) == day(1)
    assert ready_since(window(0), 0.8) == day(1)


def test_ready_windows_are_judged_in_order_up_to_the_first_unready_one() -> None:
    windows = [window(0, (1.0, 4)), window(1, (0.9, 5)), window(2, (0.3, 5)), window(3, (0.0, 5))]
    assert verdicts(windows, day(5)) == [(0, "judge"), (1, "judge")]
    assert verdicts(windows, day(3)) == []  # nothing known yet


def test_a_newer_ready_window_waits_one_look_for_an_older_unready_one_then_passes_it_over() -> None:
    # Window 0's labels stopped at 50%; window 1 got 90% at day 5.
    windows = [window(0, (0.5, 4)), window(1, (0.9, 5))]
    assert verdicts(windows, day(5)) == []
    assert verdicts(windows, day(5) + GRACE - timedelta(seconds=1)) == []
    assert verdicts(windows, day(5) + GRACE) == [(0, "pass"), (1, "judge")]


def test_an_unready_window_with_nothing_ready_after_it_holds_until_the_horizon() -> None:
    windows = [window(0, (0.5, 4)), window(1, (0.5, 5))]
    assert verdicts(windows, day(1) + HORIZON - timedelta(seconds=1)) == []
    assert verdicts(windows, day(1) + HORIZON) == [(0, "judge")]
    assert verdicts(windows, day(2) + HORIZON) == [(0, "judge"), (1, "judge")]
