"""Request dependencies: the runtime the app was created with."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from monitor.pipeline.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# Row ids are 32-bit integers in every table: a larger id names nothing (422, never a database error).
MAX_ROW_ID = 2**31 - 1
RowIdPath = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]
# Offsets past any table's size.
OffsetQuery = Annotated[int, Query(ge=0, le=10**9)]
