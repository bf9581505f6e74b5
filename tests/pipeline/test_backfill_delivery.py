"""A backfill that computes for longer than the dispatch lease, while another dispatcher runs the
whole time: every message is sent once. (Claims stamped with the backfill's start time were already
expired when taken, so the other dispatcher took the same rows and everything was posted twice.)"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor import pipeline
from monitor.clock import system_clock
from monitor.notify.dispatch import deliver_pending
from tests.alerting.fixtures import SLACK_HOOK_SECRET
from tests.conftest import RuntimeFactory, xy_monitor_config
from tests.notify.servers import FakeSlack

WINDOWS = 20
ROWS = 120_000


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=WINDOWS)
    frames = [
        pd.DataFrame(
            {
                "timestamp": first + timedelta(hours=h) + pd.to_timedelta(np.linspace(0, 3599, ROWS), "s"),
                "x": rng.normal(3.0 if h % 2 else 0.0, 1.0, ROWS),
                "y": rng.normal(0.0, 1.0, ROWS),
            }
        )
        for h in range(WINDOWS)
    ]
    pd.concat(frames, ignore_index=True).to_parquet(tmp_path / "predictions.parquet")
    pd.DataFrame({"x": rng.normal(0, 1, 5000), "y": rng.normal(0, 1, 5000)}).to_parquet(
        tmp_path / "reference.parquet"
    )
    return tmp_path


def test_a_long_backfill_beside_another_dispatcher_sends_each_message_once(
    db_url: str, log_dir: Path, make_runtime: RuntimeFactory, fake_slack: FakeSlack
) -> None:
    hook = fake_slack.add_hook(SLACK_HOOK_SECRET)
    data = xy_monitor_config(
        db_url,
        monitor={
            "window": {"size": "1h"},
            "drift": {"tests": ["psi", "ks", "wasserstein"], "drift_share": 0.4},
            "alerts": [{"name": "drift", "signal": "drift_share", "threshold": 0.4, "notify": ["slack"]}],
        },
        alerting={"dispatch_lease": "1s"},
        notifiers={"slack": {"type": "slack", "webhook_url": hook, "timeout": 0.5}},
    )
    runtime = make_runtime(data, now=system_clock())
    fake_slack.delay = 0.3  # sends overlap with the other dispatcher's passes
    stop = threading.Event()

    def other_dispatcher() -> None:  # as `monitor alerts deliver` or serve's outbox job, far more often
        while not stop.is_set():
            deliver_pending(
                runtime.sessions, runtime.notifiers, now=system_clock(), lease=timedelta(seconds=2)
            )
            time.sleep(0.1)

    thread = threading.Thread(target=other_dispatcher)

    def progress(done: int, total: int, _outcome: object) -> None:
        # The other dispatcher starts as the backfill's own delivery pass does, so both want every row.
        if done == total:
            thread.start()
        else:  # however fast the machine computes, the backfill outlasts the 1 s dispatch lease
            time.sleep(0.06)

    began = time.monotonic()
    try:
        now = system_clock()
        outcomes = pipeline.backfill(
            runtime, "m", now - timedelta(hours=WINDOWS), now, now=now, partial=True, progress=progress
        ).runs
    finally:
        took = time.monotonic() - began
        time.sleep(3)  # the other dispatcher's last passes
        stop.set()
        thread.join(timeout=60)
    assert took > 1, "the backfill must outlast the dispatch lease for this test to mean anything"
    assert [o.status for o in outcomes] == ["succeeded"] * WINDOWS
    heads = [r.json["text"].split()[0] for r in fake_slack.delivered()]
    assert heads == ["[FIRING:1]", "[RESOLVED]"] * ((WINDOWS - 1) // 2) + ["[FIRING:1]"]
    assert len(fake_slack.requests) == len(heads)  # none sent twice
