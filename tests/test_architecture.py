"""The package's shape, checked by a machine: dependencies point one way, SQL lives in the store,
modules and functions stay small enough to read."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "monitor"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Longer on purpose, each with its reason.
LONG_FUNCTIONS: set[tuple[str, str]] = set()


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(PACKAGE, root / "monitor", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_import_contracts_hold(tree_copy: Path) -> None:
    result = lint_imports(tree_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def with_line(tree_copy: Path, tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the tree where `module` (a path under monitor/) ends with `line`."""
    broken = tmp_path / "broken"
    shutil.copytree(tree_copy, broken)
    path = broken / "monitor" / module
    path.write_text(path.read_text() + f"\n{line}  # noqa: E402, F401\n")
    return broken


def test_an_import_from_services_to_web_breaks_the_contract(tree_copy: Path, tmp_path: Path) -> None:
    broken = with_line(tree_copy, tmp_path, "services/runs.py", "from monitor.web.app import create_app")
    result = lint_imports(broken)
    assert result.returncode != 0
    assert "monitor.services.runs -> monitor.web.app" in result.stdout


def test_an_sqlalchemy_import_outside_the_store_breaks_the_contract(tree_copy: Path, tmp_path: Path) -> None:
    broken = with_line(tree_copy, tmp_path, "alerting/judge.py", "import sqlalchemy")
    result = lint_imports(broken)
    assert result.returncode != 0
    assert "monitor.alerting is not allowed to import sqlalchemy" in result.stdout
    assert "monitor.alerting.judge -> sqlalchemy" in result.stdout


def python_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_module_outside_the_store_names_sqlalchemy() -> None:
    offenders = [
        str(p.relative_to(REPO))
        for p in python_files()
        if "sqlalchemy" in p.read_text() and p.parent.name != "store"
    ]
    assert offenders == []


def test_modules_stay_under_the_line_limit() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in python_files()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_functions_stay_under_the_line_limit() -> None:
    long = {}
    for path in python_files():
        name = str(path.relative_to(REPO))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and (name, node.name) not in LONG_FUNCTIONS:
                    long[f"{name}:{node.name}"] = lines
    assert long == {}
