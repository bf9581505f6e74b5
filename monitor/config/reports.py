"""The daily drift report: one self-contained HTML file per monitor per day, written by the scheduler."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from monitor.config._base import Duration, _Strict


class ReportsConfig(_Strict):
    """Day D of a monitor is the windows starting on D in the monitor's time zone; its report is
    written once D has ended and the day's last window has been computed (`schedule.delay`), plus
    `delay` for stragglers. Missed days are caught up, back to `keep_days`."""

    enabled: bool = True
    # Where the files go, one folder per monitor; relative to the config file's directory.
    directory: str = "daily-reports"
    # Reports of days older than this many days are removed.
    keep_days: int = Field(30, ge=1, le=3660)
    delay: Duration = timedelta(hours=1)
    # The charts reach back this many windows from the end of the day.
    windows: int = Field(30, ge=1, le=2000)

    @field_validator("delay")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0):
            raise ValueError("must not be negative")
        return value
