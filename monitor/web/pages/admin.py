"""The admin page: API keys and the audit log (admin scope)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from monitor.reports.render import render
from monitor.services import access, audit
from monitor.web.auth import Admin
from monitor.web.deps import RuntimeDep

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/admin", response_class=HTMLResponse)
def admin_page(runtime: RuntimeDep, _who: Admin, offset: int = Query(0, ge=0, le=10**9)) -> str:
    entries, total = audit.audit_log(runtime, limit=PAGE, offset=offset)
    return render(
        "admin.html",
        keys=access.list_keys(runtime),
        entries=entries,
        total=total,
        offset=offset,
        page=PAGE,
        now=runtime.clock(),
    )
