"""Backends by name: the registry, and its errors."""

from __future__ import annotations

import pytest

from monitor.compute import ComputeError, LocalBackend, base, build_backend, known_backends, register_backend
from monitor.compute.dask_backend import DaskBackend
from monitor.errors import UserError


def test_the_builtin_backends_are_known_by_name() -> None:
    assert {"dask", "local"} <= set(known_backends())
    assert isinstance(build_backend("local"), LocalBackend)
    dask = build_backend("dask", address="tcp://scheduler.example:8786", connect_timeout=3)
    assert isinstance(dask, DaskBackend)  # made without connecting: the client is made on first use
    assert (dask.address, dask.connect_timeout, dask._client) == ("tcp://scheduler.example:8786", 3, None)


def test_an_unknown_backend_or_setting_is_the_users_error() -> None:
    with pytest.raises(ComputeError, match="unknown compute backend 'spark'; known: dask, local"):
        build_backend("spark")
    with pytest.raises(ComputeError, match="split_every must be at least 2"):
        build_backend("dask", split_every=1)
    assert issubclass(ComputeError, UserError)


def test_a_backend_can_be_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_REGISTRY", dict(base._REGISTRY))  # undone after the test
    register_backend("inline", LocalBackend)
    assert isinstance(build_backend("inline"), LocalBackend)
    assert "inline" in known_backends()
