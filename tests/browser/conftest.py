"""Browser fixtures: `switchdesk demo` in a subprocess on free ports, and Debian's Chromium.

The demo is the stack a newcomer gets from ``make run`` (simulator, controller and web
in one gevent process); the tests reach it only over HTTP and Socket.IO, as a browser does.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import chromium_path

ROOT = Path(__file__).resolve().parents[2]
#: the pictures of docs/desktop.md, rewritten only when SWITCHDESK_UPDATE_DOC_IMAGES=1
DOC_IMAGES = ROOT / "docs" / "img"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: demo passwords, as `switchdesk demo` prints them
DEMO_PASSWORDS = {"alice": "alice-demo", "bob": "bob-demo", "carol": "carol-demo", "sam": "sam-demo"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoServer:
    """A running ``switchdesk demo``; its output is kept for the failure report."""

    def __init__(self, workdir: Path, *, call_interval: float, sim_http: bool = False):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        #: the simulator's HTTP control API (place customer calls, ask what a channel hears), if asked for
        self.sim_url = None
        self._extra = []
        if sim_http:
            sim_port = free_port()
            self.sim_url = f"http://127.0.0.1:{sim_port}"
            self._extra = ["--sim-http-port", str(sim_port)]
        self.call_interval = call_interval
        self.database = workdir / "demo.db"
        self.output: list[str] = []
        self._start()

    def _start(self) -> None:
        self._ready = threading.Event()
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
                   SWITCHDESK_DEMO_HANGUP_AFTER="600", SWITCHDESK_SECRET_KEY="browser-tests")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "controller.cli", "demo", "--port", str(self.port), "--esl-port", "0",
             "--call-interval", str(self.call_interval), "--database", f"sqlite:///{self.database}", *self._extra],
            cwd=self.workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()

    def restart(self) -> None:
        """Stop the demo process and start it again on the same ports and database (the same session key):
        every browser's socket is dropped by the server, and comes back to a new process. The simulator
        is in that process too, so the calls of the old one are gone; what the database holds stays."""
        self.stop()
        self.output.append("--- restarted ---")
        self._start()
        self.wait_ready()

    def _read(self, process) -> None:
        ready = self._ready
        for line in process.stdout:
            self.output.append(line.rstrip("\n"))
            if "switchdesk demo is running" in line:
                ready.set()
        ready.set()  # the process ended: wake the waiter so it can report

    def wait_ready(self, timeout: float = 60.0) -> None:
        if not self._ready.wait(timeout) or self.process.poll() is not None:
            raise RuntimeError("switchdesk demo did not start:\n" + self.log_tail())
        # the banner comes right after the web server greenlet is spawned: wait for its socket
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("switchdesk demo does not listen:\n" + self.log_tail())
                self._ready.wait(0.05)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.output[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@contextlib.contextmanager
def running_demo(workdir: Path, request, **options):
    """A started :class:`DemoServer`, stopped afterwards; its log tail is printed when tests failed."""
    server = DemoServer(workdir, **options)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        if request.session.testsfailed:
            print("\n--- switchdesk demo output (tail) ---\n" + server.log_tail(200))


#: the demo's options unless a test module sets its own ``DEMO_OPTIONS``: customers call
#: every 2 s and stay on the line
DEMO_OPTIONS = {"call_interval": 2.0}
#: a module's quiet demo: no customer unless a test places one; the simulator's HTTP control on
QUIET_DEMO = {"call_interval": 0, "sim_http": True}


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    """One demo stack per test module, with the module's ``DEMO_OPTIONS``."""
    options = getattr(request.module, "DEMO_OPTIONS", DEMO_OPTIONS)
    with running_demo(tmp_path_factory.mktemp("demo"), request, **options) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); `make test` installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, demo):
    """``new_page()`` -> a page in a fresh 1280x800 context (its own cookies)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=demo.url)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str | None = None) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password or DEMO_PASSWORDS[username])
    page.click("#sign-in")


@pytest.fixture(scope="session")
def screenshot(tmp_path_factory):
    """``screenshot(page, name)`` -> ``name.png`` in pytest's temporary folder, or in
    docs/img when ``SWITCHDESK_UPDATE_DOC_IMAGES=1`` (so a test run leaves the tree clean)."""
    if os.environ.get("SWITCHDESK_UPDATE_DOC_IMAGES") == "1":
        folder = DOC_IMAGES
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = tmp_path_factory.mktemp("screenshots")

    def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
