"""The live app in a real browser: headless Chromium (Debian's) through Playwright.

Voilà: the page renders the app, typing a new B index updates the metric table and the figure.
JupyterLab: notebook 05 opened, "Run All Cells", the app appears and reacts the same way.
Screenshots go to a temporary folder (its path is printed; run pytest with -s to see it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Voilà's executor timeout (voila.json) is 120 s per cell (a class's burst on a small machine); a test
# page comes from the preheated pool, in seconds, so waiting this long means something hangs.
APP_TIMEOUT_MS = 120_000
UPDATE_TIMEOUT_MS = 30_000


def _table_text(page) -> str:
    return page.inner_text(".simlab-metrics")


def _change_b(page, value: int) -> float:
    """Type a new index into B's box, press Enter, wait for the table to change; seconds taken."""
    before = _table_text(page)
    box = page.locator(".simlab-b input")
    box.fill(str(value))
    start = time.monotonic()
    box.press("Enter")
    page.wait_for_function(
        "before => document.querySelector('.simlab-metrics').innerText !== before",
        arg=before, timeout=UPDATE_TIMEOUT_MS,
    )
    return time.monotonic() - start


def _wait_for_pearson(page, a: int, b: int, **transform) -> None:
    """Wait until the table's Pearson row shows simlab's value for (A, transformed B)."""
    import simlab
    from simlab import transforms

    letters = simlab.load_dataset("letters")
    expected = f"{simlab.pearson(letters[a], transforms.apply(letters[b], **transform)):.4f}"
    page.wait_for_function(
        """expected => [...document.querySelectorAll('.simlab-metrics tr')].some(
               row => row.cells[0].innerText.trim() === 'Pearson r' && row.cells[1].innerText.trim() === expected)""",
        arg=expected, timeout=UPDATE_TIMEOUT_MS,
    )


def _wait_for_new_figure(page, before: str | None) -> None:
    page.wait_for_function(
        "before => document.querySelector('.simlab-figure').getAttribute('src') !== before",
        arg=before, timeout=UPDATE_TIMEOUT_MS,
    )


def _check_fits_projector(page, screenshot_dir: Path, width: int, height: int) -> None:
    """Projector mode at width x height, scroll bars shown: the whole app (controls, figure, table,
    neighbours) fits one screen, nothing scrolls sideways, text is >= 18 px, the figure is drawn at
    2x, the app is centred, and the 8 neighbours sit in one row.
    """
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(400)  # let the layout settle
    page.evaluate("() => document.querySelector('.simlab-compare').scrollIntoView({block: 'start'})")
    box = page.locator(".simlab-compare").bounding_box()
    assert box["height"] <= height, f"the app is {box['height']:.0f} px tall: it does not fit {width}x{height}"
    assert box["y"] >= -1 and box["y"] + box["height"] <= height + 1, f"the app is not on one screen: {box}"
    layout = page.evaluate("""() => {
        const cells = document.getElementById('rendered_cells');
        const sideways = [...document.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 0.5 &&
            ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)).map(e => e.className.toString().slice(0, 60));
        const size = sel => [...document.querySelectorAll(sel)].map(e => parseFloat(getComputedStyle(e).fontSize));
        const figure = document.querySelector('.simlab-figure');
        return {scrollbar: cells.offsetWidth - cells.clientWidth,
                inner: cells.getBoundingClientRect().left + cells.clientWidth,
                sideways, document: document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth,
                controls: size('.simlab-compare .widget-label, .simlab-compare input, .simlab-compare select, ' +
                               '.simlab-compare button, .simlab-compare .widget-readout'),
                table: size('.simlab-metrics td, .simlab-metrics th'),
                figure: [figure.naturalWidth, figure.getBoundingClientRect().width]};
    }""")
    assert layout["scrollbar"] > 0, "the test must run with a visible vertical scroll bar"
    assert layout["sideways"] == [] and layout["document"] == 0, f"something scrolls sideways: {layout['sideways']}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= layout["inner"] + 0.5, (box, layout["inner"])
    assert min(layout["controls"]) >= 18 and min(layout["table"]) >= 18, (layout["controls"], layout["table"])
    natural, shown = layout["figure"]
    assert natural >= 2 * shown - 1, f"figure drawn {natural} px wide for {shown:.0f} px on screen"
    if width >= 1280:  # room to spare: the app sits in the middle
        left, right = box["x"], layout["inner"] - box["x"] - box["width"]
        assert abs(left - right) <= 20 and left > 100, (left, right)
    thumbs = page.locator(".simlab-neighbours img")
    assert len({round(thumbs.nth(i).bounding_box()["y"]) for i in range(thumbs.count())}) == 1
    page.screenshot(path=str(screenshot_dir / f"voila_{width}x{height}.png"))


def _wait_for_app(page) -> tuple[str, str | None]:
    """Wait until the app's table and figure are drawn; check the rows; return table text and figure src."""
    import simlab

    page.wait_for_selector(".simlab-metrics table", timeout=APP_TIMEOUT_MS)
    page.wait_for_selector(".simlab-figure[src]", timeout=APP_TIMEOUT_MS)
    names = page.locator(".simlab-metrics tr td:first-child").all_inner_texts()
    assert names == ["Pearson r", "SSIM", "MI (bits)", "NMI", "MSE", "PSNR (dB)"] and len(names) == len(simlab.METRICS)
    return _table_text(page), page.get_attribute(".simlab-figure", "src")


@pytest.mark.timeout(120)
def test_voila_reads_the_repository_config_for_a_class():
    config = json.loads((REPO / "voila.json").read_text())
    executor, culling = config["VoilaExecutor"], config["MappingKernelManager"]
    # a burst of 30 opens on 2 cores takes tens of seconds: the timeout turns only a hang into an error
    assert 60 <= executor["timeout"] <= 300 and executor["interrupt_on_timeout"] is True
    voila = config["VoilaConfiguration"]
    assert voila["preheat_kernel"] is True and voila["default_pool_size"] >= 30  # a class of 30 opening at once
    # a lesson: open tabs are never culled however long they idle; kernels nobody is connected to
    # (a crashed tab, a link preview) go after 10-30 minutes
    assert culling["cull_connected"] is False and culling["cull_busy"] is False
    assert 600 <= culling["cull_idle_timeout"] <= 1800 and culling["cull_interval"] <= 120
    assert config["KernelManager"]["transport"] == "ipc"  # no ports to race for when 30 kernels start at once
    # Voilà started from the repository root (the classroom command) picks the file up
    probe = ("from voila.app import Voila; app = Voila(); app.initialize(['notebooks/05_compare_live.ipynb']); "
             "c = app.config; print(c.VoilaExecutor.timeout, c.MappingKernelManager.cull_idle_timeout, "
             "c.VoilaConfiguration.default_pool_size, app.identity_provider_class.__name__)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=100,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(executor["timeout"]), str(culling["cull_idle_timeout"]),
                                  str(config["VoilaConfiguration"]["default_pool_size"]),
                                  "XsrfCookieIdentityProvider"]


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_voila_page_updates_table_and_figure_when_b_changes(page, voila_server, screenshot_dir):
    start = time.monotonic()
    page.goto(voila_server.url + "/", wait_until="domcontentloaded")
    table, figure = _wait_for_app(page)
    ready = time.monotonic() - start
    assert page.locator(".simlab-neighbours img").count() == 8
    # classroom-ready: title, one line, the app; no exercise boxes, no printed checks (voila.json
    # removes the notebook's cells tagged jupyterlab-only)
    body = page.inner_text("body")
    assert "Not answered" not in body and "Exercises" not in body and "Question 1" not in body
    assert "{'" not in body and "other letters that beat" not in body
    assert page.title() == "Compare live: what each image-similarity metric rewards and punishes"
    for width, height in ((1280, 720), (1024, 768)):
        _check_fits_projector(page, screenshot_dir, width, height)
    page.set_viewport_size({"width": 1280, "height": 1100})

    seconds = _change_b(page, 700)
    _wait_for_new_figure(page, figure)
    assert _table_text(page) != table
    assert page.locator(".simlab-b input").input_value() == "700"
    # the table shows what simlab computes for the pair on screen
    a_index = int(page.locator(".simlab-a input").input_value())
    _wait_for_pearson(page, a_index, 700)
    # a transform from the keyboard: shift x two steps right moves B by 2 px
    page.locator(".simlab-shift-x .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "() => document.querySelector('.simlab-shift-x .widget-readout').innerText.trim() === '2'",
        timeout=UPDATE_TIMEOUT_MS,
    )
    _wait_for_pearson(page, a_index, 700, dx=2)
    # a button: "same class" gives B of A's class (B is an 'I' now, A an 'A')
    table = _table_text(page)
    page.click(".simlab-same-class")
    page.wait_for_function("before => document.querySelector('.simlab-metrics').innerText !== before",
                           arg=table, timeout=UPDATE_TIMEOUT_MS)
    classes = [page.locator(f".simlab-{x}-class select").input_value() for x in "ab"]
    assert classes[0] == classes[1] == "A", classes  # notebook 05 starts with two A's
    assert page.locator(".simlab-b input").input_value() not in ("700", str(a_index))
    # B = A inverted: values turn negative, the table keeps its width, the neighbours do not move
    page.locator(".simlab-shift-x .noUi-handle").focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    left = page.locator(".simlab-neighbours").bounding_box()["x"]
    _change_b(page, a_index)
    page.click(".simlab-invert input")
    _wait_for_pearson(page, a_index, a_index, invert=True)
    assert "-1.0000" in _table_text(page)
    assert page.locator(".simlab-neighbours").bounding_box()["x"] == left
    # the input cells are hidden in Voilà: only the app, the prose and the outputs remain
    assert page.locator(".jp-InputArea-editor").count() == 0
    assert "Traceback" not in page.inner_text("body")
    path = screenshot_dir / "voila.png"
    page.set_viewport_size({"width": 1280, "height": 1700})  # Voilà scrolls inside its own panel
    page.screenshot(path=str(path))
    print(f"\nVoilà: app ready {ready:.1f} s after navigation, table updated {seconds * 1000:.0f} ms after "
          f"Enter; screenshot {path}")


def _wait_for_idle_kernel(page) -> None:
    page.wait_for_function(
        """() => {
            const name = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName');
            const panel = '.jp-NotebookPanel:not(.lm-mod-hidden)';
            const status = document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator');
            return name && !/No Kernel|Kernel/.test(name.innerText.trim()) &&
                   status && status.getAttribute('data-status') === 'idle';
        }""",
        timeout=APP_TIMEOUT_MS,
    )


def _run_all_cells(page) -> None:
    """Run all cells through the app's command registry; retry if no cell starts within 10 s."""
    for attempt in range(3):
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_function(
                """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
                         .some(p => p.innerText.trim() !== '[ ]:' && p.innerText.trim() !== '')""",
                timeout=10_000,
            )
            return
        except Exception:  # playwright's TimeoutError: "Run All" ran nothing, try again
            if attempt == 2:
                raise


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_jupyterlab_runs_notebook_05_and_the_app_reacts(page, lab_server, screenshot_dir):
    start = time.monotonic()
    page.goto(lab_server.url + "/lab/tree/05_compare_live.ipynb?reset", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=APP_TIMEOUT_MS)
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=APP_TIMEOUT_MS)
    _wait_for_idle_kernel(page)
    _run_all_cells(page)
    table, figure = _wait_for_app(page)
    ready = time.monotonic() - start

    page.locator(".simlab-b input").scroll_into_view_if_needed()
    seconds = _change_b(page, 1500)
    assert _table_text(page) != table
    _wait_for_new_figure(page, figure)
    # in JupyterLab the tour's checks and the exercises run and show (Voilà leaves them out)
    page.wait_for_function("() => document.querySelector('.jp-Notebook').innerText.includes('Question 3')",
                           timeout=UPDATE_TIMEOUT_MS)
    text = page.inner_text(".jp-Notebook")
    assert "Exercises" in text and "other letters that beat the second A" in text
    path = screenshot_dir / "jupyterlab.png"
    page.locator("div.simlab-compare").scroll_into_view_if_needed()
    page.screenshot(path=str(path))
    print(f"\nJupyterLab: app ready {ready:.1f} s after navigation, table updated {seconds * 1000:.0f} ms "
          f"after Enter; screenshot {path}")


def _page_kernel_id(page) -> str:
    """The id of the kernel behind a Voilà page (from the page's configuration)."""
    return page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")


def _wait_until_gone(kernel_ids, kernel: str, seconds: float = 20) -> float:
    """Seconds until ``kernel`` is no longer in ``kernel_ids()`` (fails after ``seconds``)."""
    start = time.monotonic()
    while kernel in kernel_ids():
        assert time.monotonic() - start < seconds, f"kernel {kernel} still runs {seconds:.0f} s later"
        time.sleep(0.25)
    return time.monotonic() - start


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_reloading_or_closing_the_tab_frees_its_kernel_and_csrf_is_still_checked(page, voila_server,
                                                                                 running_kernels):
    def kernel_ids():
        return running_kernels(voila_server)

    page.goto(voila_server.url + "/", wait_until="domcontentloaded")
    _wait_for_app(page)
    first = _page_kernel_id(page)
    assert first in kernel_ids()
    import psutil  # the kernel keeps its history in memory (simlab.classroom.ClassroomKernelManager)

    commands = [" ".join(p.cmdline()) for p in psutil.Process(voila_server.process.pid).children(recursive=True)]
    assert any(first in command and "--HistoryManager.hist_file=:memory:" in command for command in commands)
    assert "_xsrf" in {cookie["name"] for cookie in page.context.cookies()}  # set with the page (simlab.classroom)
    # CSRF protection stays: a shutdown request without the token, or with a forged one, is refused
    statuses = page.evaluate("""async kernel => {
        const url = `/voila/api/shutdown/${kernel}`;
        const forged = new FormData(); forged.append('_xsrf', '2|deadbeef|0123456789abcdef|1');
        return [(await fetch(url, {method: 'POST'})).status, (await fetch(url, {method: 'POST', body: forged})).status];
    }""", first)
    assert statuses == [403, 403]
    time.sleep(1)
    assert first in kernel_ids()

    page.reload(wait_until="domcontentloaded")  # a reload: the old kernel goes, the page has one kernel
    _wait_for_app(page)
    second = _page_kernel_id(page)
    assert second != first
    reload_seconds = _wait_until_gone(kernel_ids, first)
    assert second in kernel_ids()

    page.close(run_before_unload=True)  # closing the tab, as a student does
    close_seconds = _wait_until_gone(kernel_ids, second)
    print(f"\nkernel freed {reload_seconds:.1f} s after the reload, {close_seconds:.1f} s after closing the tab")


def test_deploy_config_for_a_jupyter_server_carries_voila_json_settings():
    """Binder / JupyterHub run Voilà inside a Jupyter server: deploy/jupyter_server_config.py must say
    what voila.json says (where a Jupyter server has the setting), and postBuild must install it.
    """
    from traitlets.config.loader import PyFileConfigLoader

    import simlab.classroom

    voila = json.loads((REPO / "voila.json").read_text())
    deploy = PyFileConfigLoader("jupyter_server_config.py", path=str(REPO / "deploy")).load_config()
    for section in ("VoilaExecutor", "MappingKernelManager", "TagRemovePreprocessor"):
        assert {key: deploy[section][key] for key in voila[section]} == voila[section], section
    assert deploy.VoilaConfiguration.prelaunch_hook is simlab.classroom.set_xsrf_cookie
    assert "cp deploy/jupyter_server_config.py" in (REPO / "postBuild").read_text()
    hub = PyFileConfigLoader("jupyterhub_config.py", path=str(REPO / "deploy")).load_config()
    page = hub.Spawner.default_url.removeprefix("/voila/render/")
    assert (REPO / page).is_file() and hub.Spawner.cpu_limit >= 1.0


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_voila_inside_a_jupyter_server_with_the_deploy_config(page, voila_in_jupyter_server, running_kernels):
    """The Binder / JupyterHub way: the page renders the app without the JupyterLab-only cells, and
    closing the tab frees the kernel there too.
    """
    page.goto(voila_in_jupyter_server.url + "/voila/render/05_compare_live.ipynb", wait_until="domcontentloaded")
    _wait_for_app(page)
    body = page.inner_text("body")
    assert "Exercises" not in body and "Not answered" not in body
    kernel = _page_kernel_id(page)
    assert kernel in running_kernels(voila_in_jupyter_server)
    page.close(run_before_unload=True)
    seconds = _wait_until_gone(lambda: running_kernels(voila_in_jupyter_server), kernel)
    print(f"\nVoilà in a Jupyter server: kernel freed {seconds:.1f} s after closing the tab")
