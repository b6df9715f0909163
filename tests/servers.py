"""Real servers for the tests, started on this machine in a temporary directory and stopped after.

PostgreSQL refuses to run as root (and CI runs as root), so as root the server runs as `nobody`
in a directory that user owns; it listens only on a unix socket in that directory.  The binaries
come from Debian's `postgresql` package (`make install` installs it where it can); without them,
the PostgreSQL half of the store's suite fails under CI and skips elsewhere, saying why.  Redis (the distributed
executor's broker) runs on loopback, without persistence, from Debian's `redis-server`.  The moto
server runs in a process of its own, so that it answers on one core while the scanner runs on the
other (in the tests' process it would share one interpreter lock with the scanner's threads).
"""
from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
import time
from pathlib import Path
from typing import Iterator

import pytest


def _pg_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "postgres").is_file():
            return Path(candidate)
    found = shutil.which("postgres")
    return Path(found).parent if found else None


def missing(what: str, how: str) -> None:
    """No such server here: a failure under CI (its set-up must install it), a skip elsewhere."""
    message = f"{what} not found ({how})"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _as_server_user(directory: Path) -> list[str]:
    """The command prefix that runs a server as its owner: `nobody` when we are root."""
    if os.geteuid() != 0:
        return []
    import pwd

    nobody = pwd.getpwnam("nobody")
    os.chown(directory, nobody.pw_uid, nobody.pw_gid)
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"]


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A PostgreSQL server on a unix socket; yields the directory of its socket."""
    bindir = _pg_bin()
    if bindir is None:
        missing("PostgreSQL server", "Debian's postgresql package; `make install` installs it as root")
    home = Path(tempfile.mkdtemp(prefix="vg-pg-"))
    home.chmod(0o700)
    prefix = _as_server_user(home)
    data = home / "data"
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8", "--locale=C"], check=True, capture_output=True, cwd=home)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen([*prefix, str(bindir / "postgres"), "-D", str(data), "-k", str(home), "-p", "5432",
                               "-c", "listen_addresses=", "-c", "fsync=off", "-c", "max_connections=50"],
                              stdout=log, stderr=subprocess.STDOUT, cwd=home)
    try:
        deadline = time.monotonic() + 30
        while not (home / ".s.PGSQL.5432").exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not start: {(home / 'server.log').read_text()[-2000:]}")
            time.sleep(0.05)
        time.sleep(0.2)  # the socket appears just before the server accepts connections
        yield str(home)
    finally:
        server.send_signal(signal.SIGINT)  # "fast" shutdown: SIGTERM would wait for clients to leave
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(home, ignore_errors=True)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def moto(**settings: str) -> Iterator[str]:
    """A moto server in its own process on a free loopback port; its URL.  `settings` are moto's
    environment variables for the server (e.g. ``INITIAL_NO_AUTH_ACTION_COUNT``)."""
    port, home = _free_port(), Path(tempfile.mkdtemp(prefix="vg-moto-"))
    env = {**os.environ, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", **settings}
    with open(home / "moto.log", "wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # the server imports moto first: seconds on a busy machine
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto did not start: {(home / 'moto.log').read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(home, ignore_errors=True)


class RedisServer:
    """A redis-server on loopback (a free port), without persistence: stopped and started again,
    it comes back empty — as a broker restarted without its data would."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - the server holds it
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.home), "--protected-mode", "yes"], stdout=log, stderr=subprocess.STDOUT, cwd=self.home)
        log.close()
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start: {(self.home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


@contextlib.contextmanager
def redis() -> Iterator[RedisServer]:
    """A Redis server on loopback, for the distributed executor's tests (`RedisServer`)."""
    if shutil.which("redis-server") is None:
        missing("redis-server", "Debian's redis-server package; `make test-deps` installs it as root")
    server = RedisServer(Path(tempfile.mkdtemp(prefix="vg-redis-")))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.home, ignore_errors=True)
