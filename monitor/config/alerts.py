"""Alert rules, the channels that carry notifications, and delivery settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, get_args

from pydantic import Field, SecretStr, field_validator, model_validator

from monitor.config._base import Duration, _Strict
from monitor.config.actions import Action, ActionChannelConfig
from monitor.config.deployments import HealthMeasure

HEALTH_MEASURES: tuple[str, ...] = get_args(HealthMeasure)

Comparison = Literal[">", ">=", "<", "<="]


class BaselineConfig(_Strict):
    """What a metric is compared with: the mean over the previous `windows` windows that have a
    value, or over a fixed period [start, end). The rule breaches on a drop (or rise) beyond the
    allowed amount, absolute or relative to the baseline."""

    windows: int | None = Field(None, ge=1)
    start: datetime | None = None
    end: datetime | None = None
    max_drop: float | None = Field(None, gt=0)
    max_rise: float | None = Field(None, gt=0)
    relative: bool = False
    # Fewer windows with a value than this: no baseline yet, so the rule does not judge.
    min_windows: int = Field(1, ge=1)

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value

    @model_validator(mode="after")
    def _one_of_each(self) -> BaselineConfig:
        fixed = self.start is not None or self.end is not None
        if (self.windows is None) == (not fixed):
            raise ValueError("give either `windows` (previous N windows) or `start` and `end` (a period)")
        if fixed and (self.start is None or self.end is None or self.end <= self.start):
            raise ValueError("a fixed baseline period needs `start` before `end`")
        if (self.max_drop is None) == (self.max_rise is None):
            raise ValueError("give exactly one of `max_drop` or `max_rise`")
        return self


# Labels the service sets on alerts; a rule's own labels may not shadow them.
RESERVED_LABELS = frozenset(
    {"rule", "monitor", "model", "severity", "column", "metric", "check", "test", "segment"}
)
# Metric rules judge a window once this share of its rows has a label (see docs/alerting.md).
DEFAULT_MIN_LABEL_COVERAGE = 0.8
# Quality checks whose value is a 0/1 finding: the threshold defaults to 1 (the finding is present).
FINDING_CHECKS = frozenset({"no_rows", "schema_change", "missing_column", "new_column", "type_change"})
# The multivariate tests a dataset_drift rule can watch (monitor/drift/classifier.py, multivariate.py).
DATASET_TESTS = ("domain_classifier", "pca_reconstruction")


class AlertRuleConfig(_Strict):
    name: str
    # run_failed: the window could not be computed on any of its attempts (runs.max_attempts).
    # signal 'metric', 'estimated_metric', 'metric_change': the metric (roc_auc); signal 'health': the
    # serving measure (error_rate, latency_p99).
    # dataset_drift: a multivariate test (drift.multivariate) found drift, 1 (else 0); `test` picks one.
    # weighted_drift_share: the drift share weighted by feature importance (drift.importance).
    signal: Literal[
        "drift_share",
        "column_drift",
        "metric",
        "row_count",
        "quality",
        "run_failed",
        "health",
        "dataset_drift",
        "weighted_drift_share",
        "estimated_metric",
        "metric_change",
    ]
    metric: str | None = None
    # signal 'metric_change' (monitor.metrics.change): the detector, the series it watches, the
    # direction of a change it reports (default: the metric getting worse), and its allowance k in
    # standard deviations (default 0.5); `threshold` is its h (default 5).
    detector: Literal["cusum", "page_hinkley"] = "cusum"
    of: Literal["estimated", "realised"] = "estimated"
    direction: Literal["down", "up", "both"] | None = None
    allowance: float | None = Field(None, gt=0)
    column: str | None = None
    # column_drift: only this drift test's verdict counts (default: any test that judged the column);
    # dataset_drift: domain_classifier or pca_reconstruction (default: each, one alert per test).
    test: str | None = None
    # quality: the finding to watch, e.g. no_rows, schema_change, missing_share.
    check: str | None = None
    op: Comparison = ">="
    threshold: float | None = None
    baseline: BaselineConfig | None = None
    for_: int = Field(1, alias="for", ge=1)
    # Clear windows an alert keeps firing through before it resolves (a flapping signal stays one alert).
    keep_firing_for: int = Field(0, ge=0)
    severity: Literal["info", "warning", "critical"] = "warning"
    labels: dict[str, str] = Field(default_factory=dict)
    notify: list[str] = Field(default_factory=list)
    # When the alert fires, also call the channel of this type (config/actions.py).
    action: Action | None = None
    # The channel of the action's type to call; needed only when several are configured.
    action_via: str | None = None
    # `action_via` of `action: retrain`, under its first name.
    retrain_via: str | None = None
    # signal 'metric': a window is judged once this share of its rows has a label (or once it has
    # left the label horizon), not when it is run; default DEFAULT_MIN_LABEL_COVERAGE.
    min_label_coverage: float | None = Field(None, ge=0, le=1)
    # Judge every segment of the window (`segments.by`) as its own alert, labelled `segment`.
    per_segment: bool = False

    @model_validator(mode="after")
    def _signal_fields(self) -> AlertRuleConfig:
        if self.signal in ("metric", "estimated_metric", "metric_change") and not self.metric:
            raise ValueError(f"signal {self.signal!r} needs `metric` (for example roc_auc)")
        changes = ("detector", "of", "direction", "allowance")
        if self.signal != "metric_change" and set(changes) & self.model_fields_set:
            raise ValueError(
                "`detector`, `of`, `direction`, `allowance` apply to signal 'metric_change' only"
            )
        if self.signal == "health" and self.metric not in HEALTH_MEASURES:
            raise ValueError(f"signal 'health' needs `metric`, one of {', '.join(HEALTH_MEASURES)}")
        if self.per_segment and self.signal == "run_failed":
            raise ValueError("`per_segment` does not apply to signal 'run_failed' (a run fails whole)")
        if self.signal == "quality" and not self.check:
            raise ValueError("signal 'quality' needs `check` (no_rows, schema_change or missing_share)")
        if self.baseline is not None:
            if self.signal != "metric":
                raise ValueError("`baseline` applies to signal 'metric' only")
            if self.threshold is not None:
                raise ValueError("a rule with `baseline` takes no `threshold`: max_drop or max_rise sets it")
        elif self.threshold is None and not self._threshold_has_default():
            raise ValueError(f"signal {self.signal!r} needs `threshold`")
        if self.min_label_coverage is not None and self.signal != "metric":
            raise ValueError("`min_label_coverage` applies to signal 'metric' only")
        if self.signal == "dataset_drift" and self.test not in (None, *DATASET_TESTS):
            raise ValueError(
                f"signal 'dataset_drift' watches test {' or '.join(DATASET_TESTS)}, not {self.test!r}"
            )
        shadowed = sorted(RESERVED_LABELS & set(self.labels))
        if shadowed:
            raise ValueError(f"labels {', '.join(shadowed)} are set by the service and cannot be given")
        return self._action_fields()

    def _action_fields(self) -> AlertRuleConfig:
        if self.action is None and (self.action_via or self.retrain_via):
            raise ValueError("`action_via` names the channel of an `action`; give the action too")
        if self.retrain_via is not None and self.action != "retrain":
            raise ValueError("`retrain_via` goes with `action: retrain`; use `action_via`")
        if self.retrain_via and self.action_via and self.retrain_via != self.action_via:
            raise ValueError("`retrain_via` and `action_via` name different channels; give one")
        return self

    @property
    def label_coverage_needed(self) -> float:
        """The label coverage at which a metric rule judges a window."""
        return DEFAULT_MIN_LABEL_COVERAGE if self.min_label_coverage is None else self.min_label_coverage

    def _threshold_has_default(self) -> bool:
        return self.signal in ("column_drift", "run_failed", "dataset_drift", "metric_change") or (
            self.signal == "quality" and self.check in FINDING_CHECKS
        )


class _ChannelConfig(_Strict):
    """How alerts reach one channel, as an Alertmanager route: grouping and repetition."""

    # Alerts of one monitor and window sharing these labels make one message (empty: one per monitor).
    group_by: list[str] = Field(default_factory=list)
    repeat_interval: Duration = timedelta(hours=4)
    send_resolved: bool = True


class LogNotifierConfig(_ChannelConfig):
    type: Literal["log"]
    level: Literal["INFO", "WARNING", "ERROR"] = "WARNING"


class SlackNotifierConfig(_ChannelConfig):
    """An incoming webhook URL, or a bot token and a channel (chat.postMessage)."""

    type: Literal["slack"]
    webhook_url: SecretStr | None = None
    token: SecretStr | None = None
    channel: str | None = None
    # Slack's Web API; tests and proxies point it elsewhere.
    base_url: str = "https://slack.com/api/"
    timeout: float = Field(10, gt=0)
    max_features: int = Field(10, ge=1, le=40)

    @model_validator(mode="after")
    def _one_way_in(self) -> SlackNotifierConfig:
        if (self.webhook_url is None) == (self.token is None):
            raise ValueError("give either `webhook_url` or `token` with `channel`")
        if self.token is not None and not self.channel:
            raise ValueError("a bot `token` needs the `channel` to post to")
        return self


class WebhookNotifierConfig(_ChannelConfig):
    """A JSON POST to any URL; signed like the retraining webhook when `secret` is set."""

    type: Literal["webhook"]
    url: SecretStr
    secret: SecretStr | None = None
    timeout: float = Field(10, gt=0)


ChannelConfig = LogNotifierConfig | SlackNotifierConfig | WebhookNotifierConfig
NotifierConfig = Annotated[ChannelConfig | ActionChannelConfig, Field(discriminator="type")]


class RunsConfig(_Strict):
    # How long a process owns the window it computes; a heartbeat renews it every third of it. A
    # process that dies leaves the window to be taken over once this runs out.
    lease: Duration = timedelta(minutes=2)
    # A failed window is tried again after retry_backoff, doubling up to retry_backoff_max, until
    # it has been attempted max_attempts times; then it stays failed with its error.
    max_attempts: int = Field(5, ge=1, le=100)
    retry_backoff: Duration = timedelta(minutes=1)
    retry_backoff_max: Duration = timedelta(hours=1)
    # How often the scheduler asks whether a window is due (cheap: one query), and so how soon a
    # window taken over or due for a retry is picked up.
    tick_interval: Duration = timedelta(seconds=60)

    def retry_delay(self, attempts: int) -> timedelta:
        """How long after its `attempts`-th failed attempt a window is tried again."""
        delay: timedelta = self.retry_backoff * 2 ** max(0, attempts - 1)
        return min(self.retry_backoff_max, delay)


class AlertingConfig(_Strict):
    # A notification not delivered within this age goes to the dead-letter list.
    delivery_max_age: Duration = timedelta(hours=24)
    # How long a dispatcher owns a notification it is sending; after that (a crash), another takes it.
    dispatch_lease: Duration = timedelta(minutes=2)
