"""Fixtures for the browser tests: headless Chromium through Playwright, Voilà and JupyterLab servers.

The browser is Debian's ``chromium`` package (Playwright's own download is not used). Without it the
browser tests skip with a message saying how to install it; under ``CI=true`` they fail instead, so
CI cannot go green without having looked at the app in a browser.

Servers run on a free loopback port, in their own process group, on a temporary copy of the
notebooks (so JupyterLab's autosave never writes to the repository). Voilà runs from the repository
root so it reads the repository's ``voila.json`` exactly as the classroom command does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
INSTALL_HINT = "install Debian's browser with: sudo apt-get install chromium"
SERVER_START_TIMEOUT = 90  # seconds; a loaded CI machine needs ~5-20 s


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI, but {reason}: {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{reason}: {INSTALL_HINT}")


def find_chromium() -> str | None:
    """Path of Debian's chromium binary (or of ``$SIMLAB_CHROMIUM`` when set), or None."""
    override = os.environ.get("SIMLAB_CHROMIUM")
    candidates = (override,) if override else CHROMIUM_CANDIDATES
    for candidate in candidates:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        looked = os.environ.get("SIMLAB_CHROMIUM") or ", ".join(CHROMIUM_CANDIDATES)
        _browser_unavailable(f"no chromium binary found (looked for {looked})")
    return path  # type: ignore[return-value]


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the playwright package is not installed (pip install 'simlab[test]')")
    with sync_playwright() as playwright:
        # scroll bars shown, as on a student's screen (headless Chromium hides them by default): a page
        # that fits only without them does not fit
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
                                              ignore_default_args=["--hide-scrollbars"])
        yield chromium
        chromium.close()


def _local_only(route: object) -> None:
    """Let requests to the test server through; abort everything else (CDN stylesheets, fonts)."""
    from urllib.parse import urlparse

    host = urlparse(route.request.url).hostname  # type: ignore[attr-defined]
    if host in ("127.0.0.1", "localhost") or route.request.url.startswith(("data:", "blob:")):  # type: ignore[attr-defined]
        route.continue_()  # type: ignore[attr-defined]
    else:
        route.abort()  # type: ignore[attr-defined]


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1100})  # type: ignore[attr-defined]
    context.route("**/*", _local_only)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """A fresh temporary folder, or ``$SIMLAB_SCREENSHOTS`` (how the README's screenshot is made)."""
    chosen = os.environ.get("SIMLAB_SCREENSHOTS")
    if chosen:
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="simlab-screenshots-"))
    print(f"\nbrowser screenshots go to {path}")
    return path


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path
    root: Path

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def _wait_until_up(server: Server, probe: str) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(server.url + probe, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server did not answer {probe} within {SERVER_START_TIMEOUT} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server (it shuts its kernels down), then kill whatever is left, kernels included."""
    import psutil

    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    for target in [process.pid, *(child.pid for child in children)]:
        try:
            os.killpg(os.getpgid(target), signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    process.wait(timeout=15)


@pytest.fixture
def notebooks_copy(tmp_path: Path) -> Path:
    """A throw-away copy of the notebooks folder (servers write checkpoints and autosaves there)."""
    target = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return target


def _start(command: list[str], *, cwd: Path, log: Path, url: str, root: Path, probe: str,
           env: dict[str, str] | None = None) -> Server:
    handle = open(log, "wb")
    process = subprocess.Popen(command, cwd=cwd, stdout=handle, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ, **(env or {})})
    handle.close()
    server = Server(url=url, process=process, log=log, root=root)
    try:
        _wait_until_up(server, probe)
    except BaseException:
        _stop(process)
        raise
    return server


def _voila(tmp_path: Path, notebook: Path, *options: str) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", *options]
    return _start(command, cwd=REPO, log=tmp_path / "voila.log", url=f"http://127.0.0.1:{port}",
                  root=notebook.parent, probe="/voila/static/voila.js")


#: Preheated kernels in the tests' Voilà servers: voila.json keeps a class's worth (30), which a test
#: that opens one or two pages does not need (the command line overrides the file).
TEST_POOL_SIZE = 2


@pytest.fixture
def voila_server(tmp_path: Path, notebooks_copy: Path) -> Iterator[Server]:
    """Voilà serving notebook 05 (from a temporary copy), with the repository's voila.json.

    Its preheated pool is cut to :data:`TEST_POOL_SIZE` kernels.
    """
    server = _voila(tmp_path, notebooks_copy / "05_compare_live.ipynb",
                    f"--VoilaConfiguration.default_pool_size={TEST_POOL_SIZE}")
    yield server
    _stop(server.process)


def _kernel_ids(server: Server) -> set[str]:
    from simlab.classroom import kernel_processes

    return set(kernel_processes(server.process.pid))


@pytest.fixture
def running_kernels() -> Callable[[Server], set[str]]:
    """A function giving the ids of the kernels a server runs now (from their connection files' names)."""
    return _kernel_ids


def _lab_settings(folder: Path) -> Path:
    settings = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                             "checkForUpdates": False},
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for name, values in settings.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return folder


@pytest.fixture
def lab_server(tmp_path: Path, notebooks_copy: Path) -> Iterator[Server]:
    """JupyterLab on a temporary copy of the notebooks, with fresh settings and workspaces."""
    port = free_port()
    settings = _lab_settings(tmp_path / "lab-settings")
    workspaces = tmp_path / "lab-workspaces"
    workspaces.mkdir()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--port-retries=0", "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly", f"--ServerApp.root_dir={notebooks_copy}",
        f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={workspaces}",
        "--LabApp.expose_app_in_browser=True",
    ]
    server = _start(command, cwd=notebooks_copy, log=tmp_path / "lab.log", url=f"http://127.0.0.1:{port}",
                    root=notebooks_copy, probe="/api")
    yield server
    _stop(server.process)


@pytest.fixture
def voila_in_jupyter_server(tmp_path: Path, notebooks_copy: Path) -> Iterator[Server]:
    """A Jupyter server with Voilà as its extension, configured by ``deploy/jupyter_server_config.py``
    (what Binder and a JupyterHub's single-user servers run); pages at ``/voila/render/<notebook>``.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        "--port-retries=0", "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={notebooks_copy}", f"--config={REPO / 'deploy' / 'jupyter_server_config.py'}",
    ]
    server = _start(command, cwd=notebooks_copy, log=tmp_path / "server.log", url=f"http://127.0.0.1:{port}",
                    root=notebooks_copy, probe="/api", env={"JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config")})
    yield server
    _stop(server.process)
