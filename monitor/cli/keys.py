"""`monitor apikey`: create (the token is printed once), list and revoke API keys."""

from __future__ import annotations

import argparse
import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from monitor.cli._common import EXIT_OK, CommandError, _load, _now

if TYPE_CHECKING:
    from monitor.pipeline.runtime import Runtime


@contextmanager
def _runtime(config_path: str) -> Iterator[Runtime]:
    from monitor.pipeline.runtime import build_runtime
    from monitor.store import upgrade_database

    config = _load(config_path)
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_now())
    try:
        yield runtime
    finally:
        runtime.close()


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def cmd_apikey_create(args: argparse.Namespace) -> int:
    from monitor.config import parse_duration
    from monitor.services import access

    try:
        expires = parse_duration(args.expires) if args.expires else None
    except ValueError as exc:
        raise CommandError(f"--expires: {exc}") from None
    with _runtime(args.config) as runtime:
        models = list(args.model or [])
        for name in args.monitor or []:
            if name not in runtime.config.monitors:
                raise CommandError(f"--monitor: no monitor named {name!r}")
            models.append(runtime.config.monitors[name].model)
        try:
            token, info = access.create_key(
                runtime,
                name=args.name,
                scope=args.scope,
                models=sorted(set(models)),
                expires_in=expires,
                actor=_actor(),
            )
        except access.KeyProblem as exc:
            raise CommandError(str(exc)) from None
    limits = f" for {', '.join(info.models)}" if info.models else ""
    until = f", expires {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
    print(f"created {info.scope} key {info.name!r}{limits}{until}. Its token, shown this once:")
    print(token)
    return EXIT_OK


def cmd_apikey_list(args: argparse.Namespace) -> int:
    from monitor.services import access

    with _runtime(args.config) as runtime:
        keys = access.list_keys(runtime)
    for k in keys:
        state = (
            "revoked" if k.revoked_at else "expired" if k.expires_at and k.expires_at <= _now() else "active"
        )
        used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
        models = ",".join(k.models) or "-"
        print(f"{k.name:<24} {k.scope:<8} {state:<8} models={models} last used {used} (by {k.created_by})")
    if not keys:
        print("no key; create one with: monitor apikey create --name NAME --scope admin --config FILE")
    return EXIT_OK


def cmd_apikey_revoke(args: argparse.Namespace) -> int:
    from monitor.services import access

    with _runtime(args.config) as runtime:
        try:
            info = access.revoke_key(runtime, args.name, actor=_actor())
        except access.KeyProblem as exc:
            raise CommandError(str(exc)) from None
    print(f"revoked key {info.name!r}")
    return EXIT_OK
