"""The daily reports, served from their folder at stable URLs: /reports/{monitor}/{YYYY-MM-DD}.html."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse

from monitor.services import report_files
from monitor.web.deps import RuntimeDep
from monitor.web.guard import csp_allowing_inline

router = APIRouter(include_in_schema=False)


@router.get("/reports/{monitor}/{filename}")
def daily_report(monitor: str, filename: str, runtime: RuntimeDep) -> HTMLResponse:
    try:
        path = report_files.find_report(runtime.config, monitor, filename)
    except report_files.ReportNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    html = path.read_text(encoding="utf-8")
    # The file carries its scripts inline (it must open from disk); the service's policy allows
    # exactly those, by their hashes, and nothing else inline.
    headers = {"Cache-Control": "no-cache", "Content-Security-Policy": csp_allowing_inline(html)}
    return HTMLResponse(html, headers=headers)
