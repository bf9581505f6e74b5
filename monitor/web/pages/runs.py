"""HTML pages of monitors and runs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import HTMLResponse

from monitor.reports.render import render
from monitor.services import canary, monitors, report_files, run_page, status, timeline
from monitor.web.deps import RowIdPath, RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(runtime: RuntimeDep) -> str:
    return render("dashboard.html", monitors=status.monitor_statuses(runtime))


@router.get("/monitors/{name}", response_class=HTMLResponse)
def monitor_page(
    name: str,
    runtime: RuntimeDep,
    limit: int = Query(monitors.DEFAULT_PAGE_SIZE, ge=1, le=2000),
    before: Annotated[datetime | None, Query(description="runs whose window ended before this")] = None,
    after: Annotated[datetime | None, Query(description="runs whose window ended after this")] = None,
    preset: Annotated[str | None, Query(alias="range", max_length=10)] = None,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
) -> str:
    try:
        page = monitors.monitor_page(runtime, name, limit=limit, before=before, after=after)
        charts = timeline.monitor_timeline(
            runtime,
            name,
            preset=preset,
            start=timeline.parse_bound(start),
            end=timeline.parse_bound(end, end_of_day=True),
        )
    except monitors.UnknownMonitor as exc:
        raise HTTPException(404, str(exc)) from None
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    return render(
        "monitor.html",
        name=page.name,
        spec=page.spec,
        runs=page.runs,
        total=page.total,
        alerts=page.alerts,
        metric_names=page.metric_names,
        pager=page.pager,
        timeline=charts,
        base=f"/monitors/{quote(name, safe='')}",
        presets=list(timeline.PRESETS),
        range_query=urlencode(charts.range.query()) if (preset or start or end) else "",
        daily_reports=report_files.available_reports(runtime.config, name),
        comparisons=canary.comparison_links(runtime, name),
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_view(run_id: RowIdPath, runtime: RuntimeDep) -> str:
    found = run_page.run_page(runtime, run_id)
    if found is None:
        raise HTTPException(404, f"no run {run_id}")
    return render("run.html", run=found.run, page=found)


@router.get("/monitors/{name}/compare", response_class=HTMLResponse)
def compare_page(
    name: str,
    runtime: RuntimeDep,
    candidate: Annotated[str, Query(min_length=1, max_length=300)],
    baseline: Annotated[str, Query(min_length=1, max_length=300)],
    since: Annotated[datetime | None, Query()] = None,
) -> str:
    if name not in runtime.config.monitors:
        raise HTTPException(404, f"no monitor named {name!r}")
    now = runtime.clock()
    try:
        found = canary.comparison(runtime, name, candidate=candidate, baseline=baseline, since=since, now=now)
        verdict = canary.verdict(runtime, name, candidate=candidate, baseline=baseline, since=since, now=now)
    except canary.CanaryRequestError as exc:
        raise HTTPException(422, str(exc)) from None
    query = urlencode({"candidate": candidate, "baseline": baseline, "since": found.since.isoformat()})
    return render("compare.html", name=name, cmp=found, verdict=verdict, query=query)
