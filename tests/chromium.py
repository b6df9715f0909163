"""Headless Chromium for the HTML pages' tests: found on this machine (or skipped, saying how to
install it) and driven over the DevTools protocol on a pipe, with the standard library only."""
from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest


FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe"]


def chromium_binary() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome",
                      "google-chrome-stable", "/usr/lib/chromium/chromium"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


_SHIM = ("import os, sys\n"
         "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
         "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
         "os.execv(sys.argv[3], sys.argv[3:])\n")


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe (fds 3 and 4): standard
    library only, no port opened."""

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # Move the child's ends above 3 and 4, where a tiny exec shim puts them (Chromium's protocol).
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 100)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 100)
        for fd in (to_chrome_r, from_chrome_w):
            os.close(fd)
        self.log = open(log, "wb")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _SHIM, str(child_r), str(child_w), binary, *FLAGS,
             f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(child_r, child_w), stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        os.close(child_r)
        os.close(child_w)
        self.write_fd, self.read_fd = to_chrome_w, from_chrome_r
        self.buffer = b""
        self.last_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 1000, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=self.session)

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self.read_fd], [], [], remaining)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise EOFError(f"Chromium closed the DevTools pipe (exit {self.proc.poll()})")
                self.buffer += chunk
        message, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self.last_id += 1
        request: dict[str, Any] = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        data = json.dumps(request).encode() + b"\0"
        while data:
            data = data[os.write(self.write_fd, data):]
        deadline = time.monotonic() + timeout
        while True:
            message = self._message(deadline)
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, event: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for i, message in enumerate(self.events):
                if message.get("method") == event and message.get("sessionId") == self.session:
                    return self.events.pop(i)
            self.events.append(self._message(deadline))

    def open(self, url: str) -> None:
        self.events = [m for m in self.events if m.get("method") != "Page.loadEventFired"]
        self.send("Page.navigate", {"url": url}, session=self.session)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                           session=self.session)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, height: int | None = None) -> Path:
        size = self.send("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(height or size["height"], size["height"]),
                "scale": 1}
        shot = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip},
                         session=self.session, timeout=60)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def console(self) -> list[str]:
        out = []
        for message in self.events:
            params = message.get("params", {})
            if message.get("method") == "Log.entryAdded":
                out.append(f"log {params['entry'].get('level')}: {params['entry'].get('text')}")
            elif message.get("method") == "Runtime.exceptionThrown":
                out.append(f"exception: {params.get('exceptionDetails')}")
            elif message.get("method") == "Runtime.consoleAPICalled":
                out.append(f"console {params.get('type')}: {params.get('args')}")
        return out

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, EOFError, TimeoutError, RuntimeError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        for fd in (self.write_fd, self.read_fd):
            os.close(fd)
        self.log.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no Chromium found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome); "
                    "on Debian: apt-get install -y chromium")
    base = tmp_path_factory.mktemp("chromium")
    instance = Browser(binary, base / "profile", base / "chromium.log")
    yield instance
    instance.close()
