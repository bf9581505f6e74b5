"""Data time of the label stream. Pure: no clock is read here.

Labels are pulled by the time they became known, up to a watermark (the moment the pull reached).
A window's metrics are recomputed as of checkpoints on a fixed grid of `step` (the monitor's
`labels.recompute_every`, laid from the Unix epoch in UTC): the version as of checkpoint `c` counts
the labels known before `c`. Which checkpoints a window gets a version at depends only on when its
labels became known, never on when the service happened to look, so a backfill of history and the
live service store the same versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def checkpoint_at(moment: datetime, step: timedelta) -> datetime:
    """The latest checkpoint at or before `moment`."""
    return _EPOCH + ((moment - _EPOCH) // step) * step


def first_checkpoint(
    window_end: datetime, delay: timedelta, watermark: datetime, step: timedelta
) -> datetime:
    """The checkpoint of a window's first metrics: as of when it is run (its end plus the schedule's
    delay), or as of the watermark if the labels have not been pulled that far."""
    return checkpoint_at(min(window_end + delay, watermark), step)


def final_checkpoint(window_end: datetime, horizon: timedelta, step: timedelta) -> datetime:
    """The last checkpoint a window's metrics may change at: its label horizon ends then."""
    return checkpoint_at(window_end + horizon, step)


def change_checkpoints(
    labelled_at: Iterable[datetime], *, after: datetime | None, through: datetime, step: timedelta
) -> list[datetime]:
    """The checkpoints in (after, through] at which labels known at these moments start to count:
    the first checkpoint after each, in order."""
    found = set()
    for moment in labelled_at:
        point = checkpoint_at(moment, step) + step
        if (after is None or point > after) and point <= through:
            found.add(point)
    return sorted(found)
