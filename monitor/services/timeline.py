"""A monitor over a range of windows, as charts: what the monitor page and the daily report draw."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config import DEFAULT_MIN_LABEL_COVERAGE, MonitorConfig
from monitor.pipeline.runtime import Runtime
from monitor.reports.charts import (
    AlertSpan,
    ColumnResult,
    Figure,
    MetricPoint,
    WindowPoint,
    column_lines,
    column_order,
    drift_heatmap,
    drift_share_chart,
    row_count_chart,
)
from monitor.reports.dataset_charts import dataset_charts
from monitor.reports.health_charts import HealthPoint, health_chart, score_quantile_chart
from monitor.reports.metric_charts import alert_timeline, metric_chart, score_distribution_chart
from monitor.reports.render import bin_labels
from monitor.services.estimate_timeline import estimate_figures
from monitor.store import segments as segment_store
from monitor.store import timeline as store

DEFAULT_WINDOWS = 90  # the default range: the newest this many windows
PRESETS: dict[str, timedelta | None] = {
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
    "all": None,
}


class BadRange(ValueError):
    """A range a person asked for that cannot be shown (end before start, unknown preset)."""


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime
    preset: str | None  # None: the default or a custom range

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def last_day(self) -> datetime:
        """The day the range ends in, as a form's inclusive "to" shows it."""
        return self.end - timedelta(microseconds=1)

    def query(self) -> dict[str, str]:
        """How a link asks for this range again."""
        if self.preset is not None:
            return {"range": self.preset}
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True)
class MonitorTimeline:
    name: str
    range: TimeRange
    first: datetime | None  # earliest window start stored
    last: datetime | None  # latest window start stored
    windows: int  # runs in the range
    figures: list[tuple[str, Figure]] = field(default_factory=list)  # (id, figure), in page order

    @property
    def earlier(self) -> TimeRange | None:
        if self.first is None or self.first >= self.range.start:
            return None
        return TimeRange(self.range.start - self.range.length, self.range.start, None)

    @property
    def later(self) -> TimeRange | None:
        if self.last is None or self.last < self.range.end:
            return None
        return TimeRange(self.range.end, self.range.end + self.range.length, None)


def parse_bound(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """A range bound from a link or a form: ISO 8601, UTC when it names no zone. A bare date is that
    day's start, or with `end_of_day` the next day's start (a form's "to" day is included)."""
    if text is None or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRange(f"not an ISO 8601 date or time: {text[:40]!r}") from None
    if end_of_day and len(text.strip()) == 10:
        moment += timedelta(days=1)
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        raise BadRange(f"out of range: {text[:40]!r}") from None


def choose_range(
    spec: MonitorConfig,
    bounds: tuple[datetime | None, datetime | None],
    *,
    preset: str | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
) -> TimeRange:
    """A custom [start, end), a preset back from the newest window, or the newest DEFAULT_WINDOWS windows."""
    size = spec.window.size
    newest_end = (bounds[1] + size) if bounds[1] is not None else now
    if start is not None or end is not None:
        stop = end or newest_end
        begin = start or stop - DEFAULT_WINDOWS * size
        if stop <= begin:
            raise BadRange("the range must end after it starts")
        return TimeRange(begin, stop, None)
    if preset is not None:
        if preset not in PRESETS:
            raise BadRange(f"unknown range {preset!r}; use one of {', '.join(PRESETS)}")
        length = PRESETS[preset]
        if length is None:
            return TimeRange(bounds[0] or newest_end - size, newest_end, preset)
        return TimeRange(newest_end - length, newest_end, preset)
    # No further back than the first window: a young monitor's charts are not mostly empty.
    begin = newest_end - DEFAULT_WINDOWS * size
    return TimeRange(max(begin, bounds[0]) if bounds[0] is not None else begin, newest_end, None)


def _spans(rows: list[Any], starts: dict[datetime, datetime], size: timedelta) -> list[AlertSpan]:
    """Active periods from transitions: pending → fired → resolved, or pending → cleared."""
    spans: list[AlertSpan] = []
    open_spans: dict[int, tuple[str, str, datetime, str]] = {}
    for alert_id, rule, labels, severity, event, window_end, _at in rows:
        if window_end is None:
            continue
        begin = starts.get(window_end, window_end - size)
        name = " ".join([rule, *(f"{k}={v}" for k, v in sorted(labels.items()) if k != "rule")])
        current = open_spans.pop(alert_id, None)
        if current is not None:
            spans.append(AlertSpan(current[0], current[1], current[2], begin, current[3]))
        if event in ("pending", "fired"):
            open_spans[alert_id] = (name, severity, begin, "pending" if event == "pending" else "firing")
    spans += [AlertSpan(name, sev, begin, None, state) for name, sev, begin, state in open_spans.values()]
    return spans


def monitor_timeline(
    runtime: Runtime,
    name: str,
    *,
    preset: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    link: str | None = "/runs/",
) -> MonitorTimeline:
    """Every chart of the monitor page over the chosen range."""
    spec = runtime.config.monitors[name]
    with runtime.sessions() as session:
        first, last, _count = store.window_bounds(session=session, monitor=name)
        chosen = choose_range(spec, (first, last), preset=preset, start=start, end=end, now=runtime.clock())
        begin, stop = chosen.start, chosen.end
        windows = [
            WindowPoint(*r) for r in store.runs_in_range(session=session, monitor=name, start=begin, end=stop)
        ]
        results = [
            ColumnResult(*r)
            for r in store.drift_in_range(session=session, monitor=name, start=begin, end=stop)
        ]
        metrics = [
            MetricPoint(*r)
            for r in store.metrics_in_range(session=session, monitor=name, start=begin, end=stop)
        ]
        outputs = store.output_bins_in_range(session=session, monitor=name, start=begin, end=stop)
        dataset = store.dataset_drift_in_range(session=session, monitor=name, start=begin, end=stop)
        transitions = store.alert_transitions(session=session, monitor=name, until=chosen.end)
    x_range = (chosen.start, chosen.end)
    figures: list[tuple[str, Figure]] = []
    order = column_order(results)
    if results:
        figures.append(("heatmap", drift_heatmap(windows, results, link=link, x_range=x_range, order=order)))
    figures.append(
        ("drift-share", drift_share_chart(windows, threshold=spec.drift.drift_share, x_range=x_range))
    )
    if results:
        figures.append(("columns", column_lines(windows, results, x_range=x_range, order=order)))
    figures += _metric_figures(spec, metrics, x_range)
    figures += dataset_charts(dataset, x_range=x_range)
    figures += estimate_figures(
        runtime, name, spec, metrics, x_range=x_range, min_coverage=_min_coverage(spec)
    )
    figures.append(("rows", row_count_chart(windows, x_range=x_range)))
    for column, shares in _output_shares(outputs).items():
        chart = score_distribution_chart(column, shares, x_range=x_range)
        if chart is not None:
            figures.append((f"output-{len(figures)}", chart))
    figures += health_figures(runtime, name, begin, x_range)
    starts = {w.end: w.start for w in windows}
    spans = [s for s in _spans(transitions, starts, spec.window.size) if (s.end or chosen.end) > chosen.start]
    if spans:
        figures.append(("alerts", alert_timeline(spans, x_range=x_range)))
    return MonitorTimeline(name, chosen, first, last, len(windows), figures)


def _metric_figures(
    spec: MonitorConfig, metrics: list[MetricPoint], x_range: tuple[datetime, datetime]
) -> list[tuple[str, Figure]]:
    min_coverage = _min_coverage(spec)
    figures: list[tuple[str, Figure]] = []
    for metric in spec.metrics:
        points = [p for p in metrics if p.metric == metric]
        if points:
            chart = metric_chart(points, metric=metric, min_coverage=min_coverage, x_range=x_range)
            figures.append((f"metric-{metric}", chart))
    return figures


def health_figures(
    runtime: Runtime, name: str, begin: datetime, x_range: tuple[datetime, datetime]
) -> list[tuple[str, Figure]]:
    """Serving health per segment and the score quantiles over the range's windows."""
    with runtime.sessions() as session:
        found = segment_store.segment_series(session=session, monitor=name, since=begin)
        points = [
            HealthPoint(p.window_start, p.row.segment, dict(p.row.health))
            for p in found
            if p.window_end <= x_range[1]
        ]
    figures: list[tuple[str, Figure]] = []
    for measure in ("latency_p99", "error_rate", "low_confidence_share"):
        chart = health_chart(points, measure, x_range=x_range)
        if chart is not None:
            figures.append((f"health-{measure.replace('_', '-')}", chart))
    quantiles = score_quantile_chart(points, x_range=x_range)
    if quantiles is not None:
        figures.append(("score-quantiles", quantiles))
    return figures


def _min_coverage(spec: MonitorConfig) -> float:
    found = [
        r.min_label_coverage for r in spec.alerts if r.signal == "metric" and r.min_label_coverage is not None
    ]
    return min(found) if found else DEFAULT_MIN_LABEL_COVERAGE


def _output_shares(
    rows: list[tuple[datetime, str, dict[str, Any]]],
) -> dict[str, dict[datetime, tuple[list[str], list[float]]]]:
    """Per model output column, per window: its bin labels and the current window's share in each."""
    found: dict[str, dict[datetime, tuple[list[str], list[float]]]] = {}
    for start, column, details in rows:
        labels = bin_labels(details)
        counts = details.get("current_counts")
        if labels is None or counts is None or len(labels) != len(counts):
            continue
        total = sum(counts) or 1
        found.setdefault(column, {}).setdefault(start, (labels, [c / total for c in counts]))
    return found
