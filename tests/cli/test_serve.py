"""`monitor serve`: TLS of its own, and no serving beyond the loopback with access control off."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_TOKEN, ConfigFactory, monitor_config
from tests.servers import free_port

MONITOR = str(Path(sys.executable).with_name("monitor"))


def self_signed(directory: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_serve_speaks_tls_and_marks_the_session_cookie_secure(
    sqlite_url: str, monitor_files: Path, write_config: ConfigFactory, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    config = monitor_config(sqlite_url)
    config["server"] = {"host": "127.0.0.1", "port": port, "tls_cert": str(cert), "tls_key": str(key)}
    write_config(config)
    process = subprocess.Popen(
        [MONITOR, "serve", "--no-scheduler", "--config", str(tmp_path / "config.yaml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}",
            verify=ssl.create_default_context(cafile=str(cert)),
            timeout=10,
        ) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    assert http.get("/healthz").status_code == 200
                    break
                except httpx.ConnectError as exc:
                    assert "CERTIFICATE" not in str(exc), exc
                    assert time.monotonic() < deadline and process.poll() is None, "serve did not come up"
                    time.sleep(0.3)
            login = http.post(
                "/login", data={"key": ADMIN_TOKEN}, headers={"Origin": f"https://127.0.0.1:{port}"}
            )
        assert login.status_code == 303
        cookie = login.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_refuses_to_listen_beyond_the_loopback_with_auth_off(
    sqlite_url: str, monitor_files: Path, write_config: ConfigFactory, tmp_path: Path
) -> None:
    config = monitor_config(sqlite_url)
    config["auth"] = {"enabled": False}
    write_config(config)
    done = subprocess.run(
        [MONITOR, "serve", "--no-scheduler", "--host", "0.0.0.0", "--config", str(tmp_path / "config.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "auth.enabled is false" in done.stderr


def test_serve_exits_at_once_when_its_port_is_taken(
    sqlite_url: str, monitor_files: Path, write_config: ConfigFactory, tmp_path: Path
) -> None:
    write_config(monitor_config(sqlite_url))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [
                MONITOR,
                "serve",
                "--no-scheduler",
                "--port",
                str(port),
                "--config",
                str(tmp_path / "config.yaml"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode != 0 and f"cannot listen on 127.0.0.1:{port}" in done.stderr
