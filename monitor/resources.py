"""Where the templates and migrations are: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(packaged: str, top_level: str) -> Path:
    for candidate in (_PACKAGE / packaged, _PACKAGE.parent / top_level):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{top_level}/ is neither packaged in {_PACKAGE} nor beside it")


def reports_dir() -> Path:
    return _find("_reports", "reports")


def migrations_dir() -> Path:
    return _find("_migrations", "migrations")
