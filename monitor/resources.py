"""Where the templates, static files, migrations and plotly.js are: inside the wheel, or at the top of a
source checkout (plotly.js: inside the installed plotly package)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
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


def static_dir() -> Path:
    """The service's own static files (favicon), beside the templates."""
    return reports_dir() / "static"


def plotly_js() -> Path:
    """plotly.js as the installed `plotly` package ships it (never a CDN), found without importing it."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the plotly package is not installed")
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(f"the plotly package has no {path.name} at {path.parent}")
    return path


def plotly_version() -> str:
    return importlib.metadata.version("plotly")
