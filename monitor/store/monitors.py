"""Monitors as the database knows them: one row per configured monitor, kept in step with the config."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.tables import MonitorRow


def sync_monitor(*, session: Session, name: str, model: str, config_hash: str, now: datetime) -> int:
    row = session.scalar(select(MonitorRow).where(MonitorRow.name == name))
    if row is None:
        row = MonitorRow(name=name, model=model, config_hash=config_hash, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
    elif row.config_hash != config_hash or row.model != model:
        row.model, row.config_hash, row.updated_at = model, config_hash, now
    return row.id


def monitor_id(*, session: Session, name: str) -> int | None:
    return session.scalar(select(MonitorRow.id).where(MonitorRow.name == name))
