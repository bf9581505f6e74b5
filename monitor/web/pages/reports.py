"""The daily reports, served from their folder at stable URLs: /reports/{monitor}/{YYYY-MM-DD}.html."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from monitor.services import report_files
from monitor.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)


@router.get("/reports/{monitor}/{filename}")
def daily_report(monitor: str, filename: str, runtime: RuntimeDep) -> FileResponse:
    try:
        path = report_files.find_report(runtime.config, monitor, filename)
    except report_files.ReportNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    # The file is the whole report (scripts inline); it may not load anything, nor be framed.
    headers = {
        "Cache-Control": "no-cache",
        "Content-Security-Policy": "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; "
        "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    }
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=headers)
