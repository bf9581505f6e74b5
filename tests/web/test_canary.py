"""The canary verdict and the side-by-side comparison over HTTP, against a log where model v4 serves a
fifth of the traffic: a planted bad v4 fails with reasons, an equal one never fails however often the
gate asks and passes once it has enough rows, and a young canary is inconclusive. The comparison's
numbers equal scikit-learn's and numpy's on the same rows."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import accuracy_score

from monitor.pipeline.label_refresh import advance_labels
from monitor.pipeline.runtime import Runtime
from monitor.web.app import create_app
from tests.conftest import AUTH_HEADERS, RuntimeFactory
from tests.servers import serving

START = datetime(2026, 11, 2, tzinfo=UTC)
HOURS = 24
PER_HOUR = 150
CANARY = {
    "min_rows": 300,
    "min_labels": 200,
    "max_drop": {"accuracy": 0.02, "roc_auc": 0.03},
    "max_error_rate": 0.03,
    "max_p99_latency_ms": 500,
}


def canary_log(seed: int, *, bad: bool) -> pd.DataFrame:
    """A day of traffic; v4 serves a fifth of it. Bad: v4 fails 8% of requests and ranks worse."""
    rng = np.random.default_rng(seed)
    n = HOURS * PER_HOUR
    v4 = rng.random(n) < 0.2
    x = rng.normal(0, 1, n)
    truth = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int)
    noise = rng.normal(0, 3, n) if bad else np.zeros(n)
    score = 1 / (1 + np.exp(-(2 * x + np.where(v4, noise, 0.0))))
    failing = rng.random(n) < np.where(v4 & bad, 0.08, 0.01)
    seconds = np.sort(rng.uniform(0, HOURS * 3600, n))
    return pd.DataFrame(
        {
            "prediction_id": [f"q{i}" for i in range(n)],
            "timestamp": pd.Timestamp(START) + pd.to_timedelta(seconds, unit="s"),
            "x": x,
            "score": score,
            "prediction": (score >= 0.5).astype(int),
            "model_version": np.where(v4, "v4", "v3"),
            "latency_ms": rng.gamma(4, 10, n),
            "error": failing,
            "_truth": truth,
        }
    )


@dataclass
class Gate:
    log: pd.DataFrame
    runtime: Runtime
    client: httpx.Client
    move_to: Callable[[datetime], None]


def _gate(tmp_path: Path, make_runtime: RuntimeFactory, sqlite_url: str, *, bad: bool) -> Iterator[Gate]:
    log = canary_log(3, bad=bad)
    log.drop(columns="_truth").to_parquet(tmp_path / "predictions.parquet")
    labels = pd.DataFrame(
        {
            "prediction_id": log["prediction_id"],
            "label": log["_truth"],
            "labelled_at": log["timestamp"] + timedelta(minutes=30),
        }
    )
    labels.to_parquet(tmp_path / "labels.parquet")
    log[["x"]].iloc[:2000].to_parquet(tmp_path / "reference.parquet")
    clock = {"now": START}
    config = {
        "database": {"url": sqlite_url},
        "monitors": {
            "m": {
                "model": "toy",
                "source": {"type": "files", "path": "predictions.parquet"},
                "labels": {"source": {"type": "files", "path": "labels.parquet"}},
                "reference": {"type": "files", "path": "reference.parquet"},
                "schema": {"features": ["x"]},
                "window": {"size": "1h"},
                "segments": {"by": ["model_version"]},
                "serving": {"latency_column": "latency_ms", "error_column": "error"},
                "canary": CANARY,
            }
        },
    }
    runtime = make_runtime(config, now=START, clock=lambda: clock["now"])

    def move_to(moment: datetime) -> None:
        clock["now"] = moment
        advance_labels(runtime, "m", through=moment, now=moment)

    with (
        serving(create_app(runtime)) as server,
        httpx.Client(base_url=server.url, headers=AUTH_HEADERS, timeout=60) as client,
    ):
        yield Gate(log, runtime, client, move_to)


@pytest.fixture
def bad_gate(tmp_path: Path, make_runtime: RuntimeFactory, sqlite_url: str) -> Iterator[Gate]:
    yield from _gate(tmp_path, make_runtime, sqlite_url, bad=True)


@pytest.fixture
def equal_gate(tmp_path: Path, make_runtime: RuntimeFactory, sqlite_url: str) -> Iterator[Gate]:
    yield from _gate(tmp_path, make_runtime, sqlite_url, bad=False)


def _ask(gate: Gate, **params: str) -> httpx.Response:
    query = {"candidate": "v4", "baseline": "v3", "since": START.isoformat(), **params}
    return gate.client.get("/api/v1/monitors/m/verdict", params=query)


def test_a_bad_canary_fails_with_reasons_and_a_young_one_is_inconclusive(bad_gate: Gate) -> None:
    bad_gate.move_to(START + timedelta(hours=1))
    young = _ask(bad_gate).json()
    assert young["verdict"] == "inconclusive"
    assert young["candidate_rows"] < CANARY["min_rows"]
    assert any("rows" in r for r in young["reasons"])
    bad_gate.move_to(START + timedelta(hours=HOURS))
    found = _ask(bad_gate)
    body = found.json()
    assert found.status_code == 200 and body["verdict"] == "fail"
    assert body["candidate"] == "model_version=v4" and body["baseline"] == "model_version=v3"
    failed = {c["name"] for c in body["checks"] if c["status"] == "fail"}
    assert {"max_error_rate", "roc_auc"} <= failed, body["checks"]
    assert any("error" in r for r in body["reasons"]) and any("roc_auc" in r for r in body["reasons"])
    # A gate that reads only status codes (Flagger through curl --fail) sees 412.
    assert _ask(bad_gate, http_status="true").status_code == 412


def test_an_equal_canary_never_fails_over_repeated_looks_and_then_passes(equal_gate: Gate) -> None:
    verdicts = []
    for hour in range(1, HOURS + 1, 2):  # a gate polling every two hours as the canary grows
        equal_gate.move_to(START + timedelta(hours=hour))
        verdicts.append(_ask(equal_gate).json()["verdict"])
    assert "fail" not in verdicts
    assert verdicts[0] == "inconclusive" and verdicts[-1] == "pass"


def test_side_by_side_numbers_equal_an_independent_computation(equal_gate: Gate) -> None:
    now = START + timedelta(hours=12)
    equal_gate.move_to(now)
    body = equal_gate.client.get(
        "/api/v1/monitors/m/compare", params={"candidate": "v4", "baseline": "model_version=v3"}
    ).json()
    log = equal_gate.log
    seen = log[
        (log["timestamp"] >= pd.Timestamp(now - timedelta(days=1))) & (log["timestamp"] < pd.Timestamp(now))
    ]
    labelled = seen[seen["timestamp"] + timedelta(minutes=30) <= pd.Timestamp(now)]
    by = {m["metric"]: m for m in body["metrics"]}
    for version, side in (("v3", "baseline"), ("v4", "candidate")):
        rows = labelled[labelled["model_version"] == version]
        assert by["accuracy"][side] == pytest.approx(
            accuracy_score(rows["_truth"], rows["prediction"]), abs=1e-12
        )
        everything = seen[seen["model_version"] == version]
        assert body[f"{side}_rows"] == len(everything)
        assert body[f"{side}_health"]["latency_p99"] == pytest.approx(
            np.percentile(everything["latency_ms"], 99), abs=1e-9
        )
        assert by["error_rate"][side] == pytest.approx(everything["error"].mean(), abs=1e-12)
    assert by["accuracy"]["difference"] == pytest.approx(
        by["accuracy"]["candidate"] - by["accuracy"]["baseline"]
    )
    assert body["segments_seen"] == ["model_version=v3", "model_version=v4"]


def test_requests_that_cannot_be_judged_get_clear_errors(equal_gate: Gate) -> None:
    equal_gate.move_to(START + timedelta(hours=2))
    future = _ask(equal_gate, since=(START + timedelta(days=3)).isoformat())
    assert future.status_code == 422 and "not in the past" in future.json()["detail"]
    same = _ask(equal_gate, candidate="v3")
    assert same.status_code == 422 and "same segment" in same.json()["detail"]
    far = _ask(equal_gate, since=(START - timedelta(days=60)).isoformat())
    assert far.status_code == 422
    assert (
        equal_gate.client.get(
            "/api/v1/monitors/nope/verdict", params={"candidate": "a", "baseline": "b"}
        ).status_code
        == 404
    )
    anonymous = httpx.get(
        f"{str(equal_gate.client.base_url).rstrip('/')}/api/v1/monitors/m/verdict",
        params={"candidate": "v4", "baseline": "v3"},
    )
    assert anonymous.status_code == 401


def _documented(marker: str) -> dict:
    text = (Path(__file__).parents[2] / "docs" / "deployments.md").read_text(encoding="utf-8")
    block = text.split(f"<!-- test: {marker} -->", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    loaded: dict = yaml.safe_load(block)
    return loaded


def _argo_outcome(result: dict, metric: dict) -> str:
    """Argo's reading of the documented conditions (`result.verdict == "..."`)."""
    for outcome, condition in (("Successful", "successCondition"), ("Failed", "failureCondition")):
        expected = re.fullmatch(r'result\.verdict == "(\w+)"', metric[condition])
        assert expected is not None, metric[condition]
        if result["verdict"] == expected.group(1):
            return outcome
    return "Inconclusive"


def test_the_documented_argo_template_and_flagger_hook_gate_the_canary(bad_gate: Gate) -> None:
    bad_gate.move_to(START + timedelta(hours=HOURS))
    template = _documented("argo-analysis-template")
    (metric,) = template["spec"]["metrics"]
    web = metric["provider"]["web"]
    args = {
        "candidate": "v4",
        "baseline": "v3",
        "since": START.isoformat(),
        "api-key": AUTH_HEADERS["Authorization"][7:],
    }
    url = re.sub(r"\{\{args\.([\w-]+)\}\}", lambda m: quote(args[m.group(1)], safe=""), web["url"])
    path = url.split("8000", 1)[1].replace("/monitors/credit-default/", "/monitors/m/")  # the test's monitor
    headers = {
        h["key"]: re.sub(r"\{\{args\.([\w-]+)\}\}", lambda m: args[m.group(1)], h["value"])
        for h in web["headers"]
    }
    answer = httpx.get(f"{str(bad_gate.client.base_url).rstrip('/')}{path}", headers=headers, timeout=60)
    assert answer.status_code == 200
    assert _argo_outcome(answer.json(), metric) == "Failed"
    hook = _documented("flagger-canary")["spec"]["analysis"]["webhooks"][0]
    words = shlex.split(hook["metadata"]["cmd"].replace("${MONITOR_API_KEY}", args["api-key"]))
    assert "--fail" in words
    target = next(w for w in words if w.startswith("http://"))
    header = words[words.index("-H") + 1].split(": ", 1)
    served = target.split("8000", 1)[1].replace("credit-default", "m")
    status = httpx.get(
        f"{str(bad_gate.client.base_url).rstrip('/')}{served}",
        headers={header[0]: header[1]},
        timeout=60,
    ).status_code
    assert status == 412  # curl --fail exits non-zero: Flagger halts and counts a failed check
