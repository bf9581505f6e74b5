"""Versions side by side and the canary verdict (docs/deployments.md). Reading only: `read` scope."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse

from monitor.services import canary
from monitor.services.segment_types import ComparisonOut, VerdictOut
from monitor.web.deps import RuntimeDep

router = APIRouter(tags=["deployments"])

SegmentQuery = Annotated[
    str, Query(min_length=1, max_length=300, description="value (v4) or name (model_version=v4)")
]
SinceQuery = Annotated[
    datetime | None,
    Query(description="rows logged since then (ISO 8601 with zone); default: canary.lookback"),
]
# With http_status=true a gate that reads only status codes (Flagger, curl --fail) sees the verdict.
VERDICT_STATUS = {"pass": 200, "fail": 412, "inconclusive": 503}


def _known(runtime: RuntimeDep, name: str) -> None:
    if name not in runtime.config.monitors:
        raise HTTPException(404, f"no monitor named {name!r}")


@router.get("/monitors/{name}/verdict", response_model=VerdictOut)
def canary_verdict(
    name: str,
    runtime: RuntimeDep,
    candidate: SegmentQuery,
    baseline: SegmentQuery,
    since: SinceQuery = None,
    http_status: Annotated[
        bool, Query(description="answer 412 on fail and 503 while inconclusive (the body is the same)")
    ] = False,
) -> VerdictOut | JSONResponse:
    """`pass`, `fail` or `inconclusive` for a candidate segment against a baseline, with reasons."""
    _known(runtime, name)
    try:
        found = canary.verdict(
            runtime, name, candidate=candidate, baseline=baseline, since=since, now=runtime.clock()
        )
    except canary.CanaryRequestError as exc:
        raise HTTPException(422, str(exc)) from None
    if http_status and found.verdict != "pass":
        return JSONResponse(found.model_dump(mode="json"), status_code=VERDICT_STATUS[found.verdict])
    return found


@router.get("/monitors/{name}/compare", response_model=ComparisonOut)
def compare_segments(
    name: str, runtime: RuntimeDep, candidate: SegmentQuery, baseline: SegmentQuery, since: SinceQuery = None
) -> ComparisonOut:
    """Two segments side by side: health, drift between them, metric differences with intervals."""
    _known(runtime, name)
    try:
        return canary.comparison(
            runtime, name, candidate=candidate, baseline=baseline, since=since, now=runtime.clock()
        )
    except canary.CanaryRequestError as exc:
        raise HTTPException(422, str(exc)) from None
