"""A small driver for Debian's headless Chromium over the DevTools protocol.

Chromium is started with ``--remote-debugging-pipe``: protocol messages are JSON,
separated by NUL bytes, written to its file descriptor 3 and read from its 4. No
WebSocket, no port, no browser download, nothing beyond the standard library. One
page (a target attached in flat mode) is driven; console messages, uncaught
exceptions, log entries and network requests are recorded.

A screenshot of a page from the shell::

    python -m tests.integration_tests._chromium PAGE.html OUT.png [WIDTH HEIGHT]
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-pipe",
)
TIMEOUT_S = 30.0


def chromium_binary() -> str | None:
    """Debian's ``/usr/bin/chromium`` (or ``chromium`` on ``$PATH``), if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Page:
    """One browser tab; ``call`` sends a protocol command to it and waits for the result."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int):
        self.process = process
        self._out = to_browser
        self._in = from_browser
        self._next_id = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []
        """Every protocol event received, in order."""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session: str | None = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._in, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        box = self._replies.get(message["id"])
                    if box is not None:
                        box.put(message)
                else:
                    self.events.append(message)

    def call(self, method: str, *, browser: bool = False, **params: Any) -> dict[str, Any]:
        """Send ``method`` (to the page, or to the browser) and return its result."""
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
            box: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[message_id] = box
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if self.session and not browser:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        try:
            reply = box.get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise TimeoutError(f"{method}: no reply in {TIMEOUT_S}s") from None
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        """Navigate and wait for the load event."""
        seen = len(self.events)
        self.call("Page.navigate", url=url)
        self.wait_for_event("Page.loadEventFired", after=seen)

    def wait_for_event(self, method: str, *, after: int = 0) -> dict[str, Any]:
        """The first ``method`` event at index ``after`` or later, waiting for it."""
        import time

        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            for event in self.events[after:]:
                if event.get("method") == method:
                    return event
            time.sleep(0.02)
        raise TimeoutError(f"no {method} event in {TIMEOUT_S}s")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries."""
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning"):
                out.append(f"console.{params['type']}: {params['args']}")
            elif method == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                out.append(f"log: {params['entry']}")
        return out

    def requested_urls(self) -> list[str]:
        """Every URL the page requested."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def screenshot(self, path: Path, *, width: int = 1280, height: int = 900) -> Path:
        """Save a PNG of the viewport, ``width`` x ``height`` CSS pixels."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path


@contextlib.contextmanager
def open_page(
    binary: str | None = None, *, log: int | IO[bytes] = subprocess.DEVNULL
) -> Iterator[Page]:
    """Start headless Chromium with a fresh profile, yield a page, always stop it.

    ``log`` receives the browser's own stderr.
    """
    binary = binary or chromium_binary()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (bash scripts/system-deps.sh)")
    profile = tempfile.mkdtemp(prefix="s2a-chromium-")
    to_read, to_browser = os.pipe()  # the browser reads commands on its fd 3
    from_browser, to_write = os.pipe()  # and writes replies and events on its fd 4

    def child_fds() -> None:
        # Copy both ends above 4 first, so placing one cannot overwrite the other.
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_read, to_write)]
        os.dup2(high[0], 3)  # dup2 leaves close-on-exec off: the browser inherits 3 and 4
        os.dup2(high[1], 4)

    process = subprocess.Popen(
        [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
        # Python's own descriptors are close-on-exec; only 3 and 4 are passed on.
        close_fds=False,
        preexec_fn=child_fds,
        start_new_session=True,
    )
    os.close(to_read)
    os.close(to_write)
    try:
        yield Page(process, to_browser, from_browser)
    finally:
        from tests.integration_tests.servers import stop_process

        with contextlib.suppress(OSError):
            os.write(to_browser, json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0")
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        stop_process(process)
        os.close(to_browser)
        os.close(from_browser)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str]) -> int:
    """Screenshot ``argv[0]`` (an HTML file) into ``argv[1]``."""
    page_path, out = Path(argv[0]).resolve(), Path(argv[1])
    width, height = (int(argv[2]), int(argv[3])) if len(argv) > 3 else (1280, 900)
    with open_page() as page:
        page.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        page.goto(page_path.as_uri())
        page.screenshot(out, width=width, height=height)
        for problem in page.problems():
            print(problem, file=sys.stderr)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
