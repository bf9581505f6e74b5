"""Dataset-level drift through a monitor: configured, computed per window, stored with the run, shown on
the run page and charted on the monitor page, and watched by alert rules."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor import pipeline
from monitor.reports.render import render
from monitor.services.monitors import runs_page
from monitor.services.run_page import run_page
from monitor.services.timeline import monitor_timeline
from monitor.store.tables import AlertRow, RunRow
from tests.conftest import DAY0, RuntimeFactory, monitor_config

DAY = timedelta(days=1)


def test_multivariate_and_weighted_drift_are_stored_shown_charted_and_alerted(
    db_url: str, monitor_files: Path, make_runtime: RuntimeFactory
) -> None:
    data = monitor_config(
        db_url,
        multivariate={"classifier": True, "reconstruction": True, "max_rows": 400, "chunks": 5},
        importance={"x": 3, "y": 1, "colour": 1},
    )
    data["monitors"]["m"]["alerts"] += [
        {"name": "mv", "signal": "dataset_drift", "test": "domain_classifier", "notify": ["log"]},
        {"name": "weighted", "signal": "weighted_drift_share", "threshold": 0.5, "notify": ["log"]},
    ]
    runtime = make_runtime(data)
    pipeline.backfill(runtime, "m", DAY0, DAY0 + 3 * DAY, now=DAY0 + 10 * DAY)  # x and colour move on day 2
    with runtime.sessions() as session:
        stored = [r.dataset_drift for r in session.query(RunRow).order_by(RunRow.window_start)]
        alerts = {(a.rule, a.state) for a in session.query(AlertRow)}
    assert len(stored) == 3 and all(s is not None for s in stored)
    verdicts = [{t["test"]: t["drifted"] for t in s["tests"]} for s in stored]  # type: ignore[index]
    assert verdicts[0] == {"domain_classifier": False, "pca_reconstruction": False}
    assert verdicts[2]["domain_classifier"] is True
    shares = [s["weighted"]["drift_share"] for s in stored]  # type: ignore[index]
    assert shares[0] == 0.0 and shares[2] == 0.8  # x (3) and colour (1) of 5
    assert stored[2]["weighted"]["ranked"][0]["column"] == "x"  # type: ignore[index]
    assert ("mv", "firing") in alerts and ("weighted", "firing") in alerts

    run_id = runs_page(runtime, "m", limit=10, offset=0).items[2].id
    page = run_page(runtime, run_id)
    assert page is not None and page.run.dataset_drift == stored[2]
    html = render("run.html", run=page.run, page=page)
    assert 'id="multivariate"' in html and 'id="ranked-features"' in html and "domain classifier" in html
    charts = dict(monitor_timeline(runtime, "m").figures)
    assert {"dataset-classifier", "dataset-reconstruction", "weighted-drift-share"} <= set(charts)
    assert len(charts["dataset-classifier"]["data"][0]["y"]) == 3
