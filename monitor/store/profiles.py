"""Reference profiles in the database: load by (monitor, key), save replacing the monitor's older ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.drift import ReferenceProfile
from monitor.store.engine import transaction
from monitor.store.tables import ReferenceProfileRow


def load_profile(session: Session, *, monitor_id: int, key: str) -> ReferenceProfile | None:
    payload = session.scalar(
        select(ReferenceProfileRow.payload).where(
            ReferenceProfileRow.monitor_id == monitor_id, ReferenceProfileRow.profile_key == key
        )
    )
    if payload is None:
        return None
    try:
        return ReferenceProfile.from_bytes(payload)
    except (ValueError, KeyError, OSError):  # an older format, or damaged: built again by the caller
        return None


def save_profile(
    sessions: sessionmaker[Session], *, monitor_id: int, key: str, profile: ReferenceProfile, now: datetime
) -> None:
    """Stores the profile and drops the monitor's profiles of other keys (older data or settings).
    A stored profile of the same key is replaced: it is saved again only when it could not be
    loaded (damaged), and a process saving it at the same moment saves the same profile."""
    payload = profile.to_bytes()
    try:
        with transaction(sessions) as session:
            session.execute(
                delete(ReferenceProfileRow).where(
                    ReferenceProfileRow.monitor_id == monitor_id, ReferenceProfileRow.profile_key != key
                )
            )
            row = session.scalar(
                select(ReferenceProfileRow).where(
                    ReferenceProfileRow.monitor_id == monitor_id, ReferenceProfileRow.profile_key == key
                )
            )
            if row is None:
                row = ReferenceProfileRow(monitor_id=monitor_id, profile_key=key)
                session.add(row)
            row.reference_rows = profile.rows
            row.columns = list(profile.columns)
            row.size_bytes = len(payload)
            row.created_at = now
            row.payload = payload
    except IntegrityError:
        pass
