"""A PostgreSQL database of its own for one benchmark run, created on entry and dropped on exit.

The benchmarks are run as scripts (`python benchmarks/bench_x.py`), so they import this module by its
own name from the directory they sit in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def postgres_database(admin_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database `<prefix>_<random>` on the server `admin_url` reaches."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
