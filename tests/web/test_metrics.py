"""/metrics read back through Prometheus' own parser and checked against the API and the stored rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from monitor.pipeline.runtime import Runtime
from monitor.services import scheduling
from monitor.store import labels as label_store
from monitor.store.monitors import monitor_id
from monitor.store.tables import RunRow
from tests.conftest import AUTH_HEADERS, DAY0

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def scraped(backfilled: Runtime, live_server: str) -> Iterator[tuple[Samples, httpx.Client]]:
    scheduling.deliver(backfilled)  # the firing drift alert's notification goes to the log channel
    with httpx.Client(base_url=live_server, timeout=30, headers=AUTH_HEADERS) as client:
        response = client.get("/metrics")
        assert response.status_code == 200
        samples: Samples = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        yield samples, client


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def test_run_counts_reasons_and_the_last_success(scraped: tuple[Samples, httpx.Client]) -> None:
    samples, _ = scraped
    assert value(samples, "monitor_runs", monitor="m", status="succeeded") == 4
    assert value(samples, "monitor_runs_by_claim_reason", monitor="m", reason="claimed") == 4
    last = DAY0 + timedelta(days=4)  # the backfilled monitor's newest window ends there
    assert value(samples, "monitor_last_success_window_end_seconds", monitor="m") == last.timestamp()
    assert value(samples, "monitor_alerts_firing", monitor="m") == 1


def test_run_duration_histogram_matches_the_stored_attempts(
    scraped: tuple[Samples, httpx.Client], backfilled: Runtime
) -> None:
    samples, _ = scraped
    with backfilled.sessions() as session:
        times = session.execute(sa.select(RunRow.started_at, RunRow.finished_at)).all()
    durations = [(finished - started).total_seconds() for started, finished in times if started and finished]
    labels = {"monitor": "m", "status": "succeeded"}
    assert value(samples, "monitor_run_duration_seconds_count", **labels) == 4
    assert value(samples, "monitor_run_duration_seconds_sum", **labels) == pytest.approx(
        sum(durations), abs=1e-6
    )
    for bound in ("0.1", "1.0", "10.0", "+Inf"):
        expected = sum(d <= float(bound) for d in durations)
        assert value(samples, "monitor_run_duration_seconds_bucket", le=bound, **labels) == expected


def test_deliveries_by_channel_and_outcome(scraped: tuple[Samples, httpx.Client]) -> None:
    samples, _ = scraped
    assert value(samples, "monitor_delivery_attempts", channel="log", outcome="delivered") == 1
    assert value(samples, "monitor_outbox", status="delivered") == 1
    assert value(samples, "monitor_outbox_oldest_undelivered_seconds") == 0


def test_column_drift_gauges_equal_the_newest_run(scraped: tuple[Samples, httpx.Client]) -> None:
    samples, client = scraped
    newest = client.get("/api/v1/monitors/m/runs").json()["items"][-1]
    results = client.get(f"/api/v1/runs/{newest['id']}").json()["drift_results"]
    assert results, "the newest run has drift results"
    for r in results:
        labels = {"monitor": "m", "column": r["column"], "test": r["test"], "role": r["role"]}
        assert value(samples, "monitor_column_drift_statistic", **labels) == pytest.approx(
            r["statistic"], rel=1e-12
        )
        assert value(samples, "monitor_column_drifted", **labels) == float(r["drifted"])
        if r["p_value"] is not None:
            assert value(samples, "monitor_column_drift_p_value", **labels) == pytest.approx(
                r["p_value"], rel=1e-12
            )
    drifted = {r["column"] for r in results if r["drifted"]}
    assert drifted == {"x", "colour"}  # the planted drift of the monitor's last two days


def test_metric_gauges_equal_the_newest_labelled_window(scraped: tuple[Samples, httpx.Client]) -> None:
    samples, client = scraped
    newest = client.get("/api/v1/monitors/m/runs").json()["items"][-1]
    metrics = client.get(f"/api/v1/runs/{newest['id']}").json()["metrics"]
    valued = [m for m in metrics if m["value"] is not None]
    assert valued, "the newest window of the fixture is labelled"
    end = DAY0 + timedelta(days=4)
    for m in valued:
        labels = {"monitor": "m", "metric": m["metric"]}
        assert value(samples, "monitor_metric_value", **labels) == pytest.approx(m["value"], rel=1e-12)
        assert value(samples, "monitor_metric_window_end_seconds", **labels) == end.timestamp()


def test_the_label_watermark_gauge_is_the_stored_watermark(
    scraped: tuple[Samples, httpx.Client], backfilled: Runtime
) -> None:
    samples, _ = scraped
    with backfilled.sessions() as session:
        mid = monitor_id(session=session, name="m")
        assert mid is not None
        mark = label_store.watermark(session=session, monitor_id=mid)
    assert mark is not None  # the backfill pulled the label stream up to each window's run time
    assert value(samples, "monitor_label_watermark_seconds", monitor="m") == mark.timestamp()
