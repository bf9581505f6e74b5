"""Commands that keep running: the service (web and scheduler), the scheduler alone, the demo."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import socket
from types import FrameType

from monitor.cli._common import EXIT_OK, CommandError, _load, _now, _progress
from monitor.config import Config

logger = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _check_port(host: str, port: int) -> None:
    """Before anything else: a port another process holds ends the command at once, rather than
    after start-up (while a health check may be answered by that other process)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (another server?)"
            ) from None


def serve(config: Config, *, scheduler: bool, host: str | None, port: int | None) -> None:
    """API and pages, with the scheduler in a background thread unless it runs elsewhere."""
    import uvicorn

    from monitor.pipeline.runtime import build_runtime
    from monitor.scheduler import build_scheduler
    from monitor.store import upgrade_database
    from monitor.web.app import create_app

    bind_host, bind_port = host or config.server.host, port or config.server.port
    _check_port(bind_host, bind_port)
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_now())
    app = create_app(runtime, background=build_scheduler(runtime) if scheduler else None)
    if not config.auth.enabled:
        if bind_host not in LOOPBACK:
            raise CommandError(
                f"auth.enabled is false: anyone who can reach {bind_host}:{bind_port} could change anything. "
                "Serve on 127.0.0.1, or turn auth on and create a key with `monitor apikey create`"
            )
        logger.warning(
            "access control is OFF (auth.enabled: false): every page and route is open on %s", bind_host
        )
    tls = {}
    if config.server.tls_cert and config.server.tls_key:
        tls = {
            "ssl_certfile": str(config.resolve_path(config.server.tls_cert)),
            "ssl_keyfile": str(config.resolve_path(config.server.tls_key)),
        }
    logger.info("dashboard on %s://%s:%d", "https" if tls else "http", bind_host, bind_port)
    # Everything loaded so far (pandas, SQLAlchemy, plotly's templates...) lives as long as the
    # process: out of the collector's reach, a page building 10^4 chart cells no longer pays for full
    # collections that scan it (the monitor page's median: about 320 ms to 200; docs/performance.md).
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(app, host=bind_host, port=bind_port, log_level="info", **tls)  # type: ignore[arg-type]
    finally:
        runtime.close()


def cmd_serve(args: argparse.Namespace) -> int:
    serve(_load(args.config), scheduler=not args.no_scheduler, host=args.host, port=args.port)
    return EXIT_OK


def cmd_schedule(args: argparse.Namespace) -> int:
    """The scheduler alone, in the foreground, until SIGINT or SIGTERM."""
    from monitor.pipeline.runtime import build_runtime
    from monitor.scheduler import build_scheduler
    from monitor.store import upgrade_database

    config = _load(args.config)
    upgrade_database(config.database_url())
    runtime = build_runtime(config, now=_now())
    scheduler = build_scheduler(runtime, blocking=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("%s received: the scheduler stops", signal.Signals(signum).name)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    logger.info("scheduler started for %d monitor(s)", len(config.monitors))
    try:
        scheduler.start()  # blocks until shut down
    finally:
        runtime.close()
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from monitor.services.demo import prepare_demo

    config = _load(args.config)
    prepare_demo(config, now=_now(), regenerate=args.regenerate, progress=_progress)
    if not args.no_serve:
        serve(config, scheduler=True, host=None, port=None)
    return EXIT_OK
