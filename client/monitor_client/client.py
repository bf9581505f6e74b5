"""Log predictions and labels to the monitor service from a serving app, in the background.

    from monitor_client import MonitorClient

    client = MonitorClient("http://monitor:8000", model="churn-v1", spool_dir="/var/spool/churn")
    prediction_id = client.log_prediction({"age": 41, "plan": "pro", "score": 0.83, "prediction": 1})
    ...
    client.log_label(prediction_id, 1)          # days later, when the truth is known
    client.close()                              # on shutdown (also registered with atexit)

How it behaves, and why:
- `log_*` never blocks on the network: the row is put on a bounded in-memory queue and the call
  returns. A background thread sends queued rows in batches (`batch_size` rows, or whatever is
  queued after `flush_interval` seconds) to POST /api/v1/models/{model}/predictions and
  /ground-truth.
- The service being down (connection refused, timeouts, 5xx, 429) loses nothing: the batch in hand
  is retried with exponential backoff (capped at `max_backoff`) until it is accepted. Meanwhile the
  queue fills; when it is full, rows go to an append-only spool file in `spool_dir` instead of
  blocking the caller or being dropped. On `close()`, whatever could not be delivered within its
  timeout is spooled as well.
- Spool files are sent once the service answers again, also by the next process started with the
  same `spool_dir` (a spool of a process that died is picked up; a live process's is left to it).
- Sending twice is harmless: the service stores each prediction id (and each label) once, so a
  batch resent after a timeout (the service stored it, the answer was lost) does not double-count.
- A batch the service rejects (422) would be rejected forever: its invalid rows are written with
  the service's errors to `rejected.ndjson` in `spool_dir` and logged; the valid rows are sent again.
  A body over the service's size limit (413) is split in halves and sent again.
Rows need the model's id and time columns; missing ones are filled in (a new UUID, the current UTC
time), and `log_prediction` returns the id so the label can be logged against it later.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import math
import os
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx

logger = logging.getLogger(__name__)

Stream = Literal["predictions", "ground-truth"]
_STREAMS = ("predictions", "ground-truth")
_RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class ClientStats:
    sent: int = 0  # rows the service accepted (new or already stored)
    spooled: int = 0  # rows written to the spool
    rejected: int = 0  # rows the service refused as invalid (see rejected.ndjson)


def _plain(value: Any) -> Any:
    """A JSON-ready value: datetimes as ISO 8601, numpy scalars as Python ones, NaN as null."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        value = float(value)
    item = getattr(value, "item", None)  # numpy and pandas scalars
    if item is not None and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _checked(record: dict[str, Any]) -> dict[str, Any]:
    """The record, if it can be sent as JSON; a TypeError naming the column otherwise. Checked here,
    in the caller's thread: found later, in the background, the row could only be lost."""
    for key, value in record.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"column {key!r}: a {type(value).__name__} cannot be sent as JSON ({exc}); "
                "convert it to a number, string, boolean, None, or a list/dict of those"
            ) from None
    return record


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MonitorClient:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        spool_dir: str | Path | None = None,
        batch_size: int = 500,
        flush_interval: float = 1.0,
        max_queue: int = 10_000,
        timeout: float = 10.0,
        max_backoff: float = 30.0,
        id_column: str = "prediction_id",
        time_column: str | None = "timestamp",
        label_column: str = "label",
        labelled_at_column: str | None = "labelled_at",
        headers: Mapping[str, str] | None = None,
        api_key: str | None = None,
        register_atexit: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        safe_model = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
        self.spool_dir = Path(spool_dir or Path(tempfile.gettempdir()) / "monitor-client" / safe_model)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_backoff = max_backoff
        self.id_column, self.time_column = id_column, time_column
        self.label_column, self.labelled_at_column = label_column, labelled_at_column
        self.stats = ClientStats()
        self._queue: queue.Queue[tuple[Stream, dict[str, Any]]] = queue.Queue(maxsize=max_queue)
        self._spool_lock = threading.Lock()
        self._spool_file = self.spool_dir / f"spool-{os.getpid()}-{uuid.uuid4().hex[:8]}.ndjson"
        self._closing = threading.Event()
        self._deadline = math.inf
        self._idle = threading.Event()
        sent_headers = dict(headers or {})
        if api_key:  # an ingest key (`monitor apikey create --scope ingest --model ...`)
            sent_headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, headers=sent_headers)
        self._worker = threading.Thread(target=self._run, name=f"monitor-client-{model}", daemon=True)
        self._worker.start()
        if register_atexit:
            atexit.register(self.close)

    # -- the caller's side: never waits for the network ------------------------------------------

    def log_prediction(self, row: Mapping[str, Any]) -> str:
        """Queues one prediction (features, prediction, score...); returns its id."""
        record = _checked({str(k): _plain(v) for k, v in row.items()})
        if record.get(self.id_column) is None:
            record[self.id_column] = uuid.uuid4().hex
        if self.time_column and record.get(self.time_column) is None:
            record[self.time_column] = datetime.now(UTC).isoformat()
        self._put("predictions", record)
        return str(record[self.id_column])

    def log_label(self, prediction_id: str, label: Any, *, labelled_at: datetime | None = None) -> None:
        """Queues the ground truth of one prediction."""
        record = _checked({self.id_column: _plain(prediction_id), self.label_column: _plain(label)})
        if labelled_at is not None and self.labelled_at_column:
            record[self.labelled_at_column] = labelled_at.isoformat()
        self._put("ground-truth", record)

    def _put(self, stream: Stream, record: dict[str, Any]) -> None:
        if self._closing.is_set():
            self._spool([(stream, record)])
            return
        self._idle.clear()
        try:
            self._queue.put_nowait((stream, record))
        except queue.Full:
            self._spool([(stream, record)])

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until everything queued and spooled has been delivered; False if `timeout` passed."""
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._idle.wait(timeout=0.05) and self._queue.empty() and not self._pending_spools():
                return True
        return False

    def close(self, timeout: float = 10.0) -> None:
        """Delivers what it can within `timeout`, spools the rest, stops the thread."""
        if self._closing.is_set():
            return
        self._deadline = time.monotonic() + timeout
        self._closing.set()
        self._worker.join(timeout=timeout + 5)
        leftovers = []
        while True:
            try:
                leftovers.append(self._queue.get_nowait())
            except queue.Empty:
                break
        self._spool(leftovers)
        self._http.close()
        atexit.unregister(self.close)

    def __enter__(self) -> MonitorClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the background thread -------------------------------------------------------------------

    def _run(self) -> None:
        while not (self._closing.is_set() and self._queue.empty()):
            batch = self._collect()
            try:
                for stream in ("predictions", "ground-truth"):
                    rows = [row for s, row in batch if s == stream]
                    if rows:
                        self._deliver(stream, rows)
            except Exception:  # the thread must outlive any bug or disk error: keep the batch on disk
                logger.exception("monitor client: sending a batch failed; spooling it")
                self._spool_safely(batch)
            try:
                if not self._given_up():
                    self._replay_spools()
            except Exception:
                logger.exception("monitor client: sending the spool failed; will try again")
            if self._queue.empty():
                self._idle.set()

    def _spool_safely(self, batch: list[tuple[Stream, dict[str, Any]]]) -> None:
        try:
            self._spool(batch)
        except Exception:
            logger.exception("monitor client: could not spool %d row(s); they are lost", len(batch))

    def _collect(self) -> list[tuple[Stream, dict[str, Any]]]:
        """Up to batch_size queued rows, waiting at most flush_interval for them (not at all when closing)."""
        batch: list[tuple[Stream, dict[str, Any]]] = []
        until = time.monotonic() + self.flush_interval
        while len(batch) < self.batch_size:
            wait = 0.0 if self._closing.is_set() else until - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _given_up(self) -> bool:
        return self._closing.is_set() and time.monotonic() > self._deadline

    def _deliver(self, stream: Stream, rows: list[dict[str, Any]]) -> bool:
        """Sends until accepted; spools the rows and returns False only when closing ran out of time."""
        backoff = 0.2
        while True:
            if self._given_up():
                self._spool([(stream, r) for r in rows])
                return False
            try:
                response = self._http.post(f"/api/v1/models/{self.model}/{stream}", json=rows)
            except httpx.HTTPError as exc:
                logger.info("monitor service unreachable (%s); retrying in %.1fs", exc, backoff)
            else:
                status = response.status_code
                if status == 200:
                    self.stats.sent += len(rows)
                    return True
                if status == 413 and len(rows) > 1:
                    half = len(rows) // 2
                    return self._deliver(stream, rows[:half]) and self._deliver(stream, rows[half:])
                if status == 422:
                    return self._drop_invalid(stream, rows, response)
                if status not in _RETRYABLE:
                    self._reject(stream, rows, f"HTTP {status}: {response.text[:500]}")
                    return True
                logger.info("monitor service answered %d; retrying in %.1fs", status, backoff)
            if self._closing.is_set():
                time.sleep(max(0.0, min(backoff, self._deadline - time.monotonic())))
            else:
                self._closing.wait(timeout=backoff)  # close() cuts the wait short: it has a deadline
            backoff = min(backoff * 2, self.max_backoff)

    def _drop_invalid(self, stream: Stream, rows: list[dict[str, Any]], response: httpx.Response) -> bool:
        try:
            errors = response.json()["detail"]["errors"]
        except (ValueError, KeyError, TypeError):
            errors = []
        bad = {e["row"] for e in errors if isinstance(e.get("row"), int)}
        if not bad or len(errors) >= 100:  # no row named, or the list was cut: set the batch aside
            self._reject(stream, rows, response.text[:2000])
            return True
        for index in sorted(bad):
            reasons = [e for e in errors if e.get("row") == index]
            self._reject(stream, [rows[index]], json.dumps(reasons))
        good = [row for i, row in enumerate(rows) if i not in bad]
        return self._deliver(stream, good) if good else True

    def _reject(self, stream: Stream, rows: list[dict[str, Any]], reason: str) -> None:
        logger.error("monitor service refused %d %s row(s): %s", len(rows), stream, reason)
        with self._spool_lock, (self.spool_dir / "rejected.ndjson").open("a", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps({"stream": stream, "row": row, "reason": reason}) + "\n")
            self.stats.rejected += len(rows)

    # -- the spool -------------------------------------------------------------------------------

    def _spool(self, items: Iterable[tuple[Stream, dict[str, Any]]]) -> None:
        lines = [json.dumps({"stream": s, "row": r}) + "\n" for s, r in items]
        if not lines:
            return
        with self._spool_lock, self._spool_file.open("a", encoding="utf-8") as out:
            out.writelines(lines)
            out.flush()
            os.fsync(out.fileno())
            self.stats.spooled += len(lines)

    def _pending_spools(self) -> list[Path]:
        """Spool files this client should send: its own, and those of processes that are gone."""
        mine = f"spool-{os.getpid()}-"
        found = []
        for path in sorted(self.spool_dir.glob("spool-*")):
            pid = path.name.split("-")[1]
            if path.name.startswith(mine) or (pid.isdigit() and not _pid_alive(int(pid))):
                found.append(path)
        return found

    def _read_spool(self, path: Path) -> list[dict[str, Any]]:
        """The spool's entries; a line that is not one (torn by a process killed mid-write) is set
        aside in rejected.ndjson, so it cannot stop the lines around it being sent."""
        items, torn = [], []
        for line in path.read_text(encoding="utf-8", errors="replace").split("\n"):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                torn.append((line, f"unreadable spool line ({exc})"))
                continue
            if not (
                isinstance(item, dict)
                and item.get("stream") in _STREAMS
                and isinstance(item.get("row"), dict)
            ):
                torn.append((line, "spool line is not a {stream, row} entry"))
                continue
            items.append(item)
        if torn:
            logger.error("monitor client: %d unreadable line(s) in %s set aside", len(torn), path.name)
            with self._spool_lock, (self.spool_dir / "rejected.ndjson").open("a", encoding="utf-8") as out:
                out.writelines(json.dumps({"line": line, "reason": reason}) + "\n" for line, reason in torn)
                self.stats.rejected += len(torn)
        return items

    def _replay_spools(self) -> None:
        for path in self._pending_spools():
            claimed = path.with_name(f"spool-{os.getpid()}-{uuid.uuid4().hex[:8]}.sending")
            with self._spool_lock:
                try:
                    path.rename(claimed)
                except FileNotFoundError:
                    continue
            items = self._read_spool(claimed)
            for stream in ("predictions", "ground-truth"):
                rows = [item["row"] for item in items if item["stream"] == stream]
                for start in range(0, len(rows), self.batch_size):
                    if not self._deliver(stream, rows[start : start + self.batch_size]):
                        # Out of time while closing: _deliver spooled that batch; keep the rest.
                        rest = rows[start + self.batch_size :]
                        self._spool([(stream, r) for r in rest])
                        break
            claimed.unlink()
            if self._given_up():
                return
