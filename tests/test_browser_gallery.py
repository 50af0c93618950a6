"""The duplicate gallery in a real browser: a Voilà page in headless Chromium (the ``page`` fixture).

A two-cell notebook (``gallery()`` on the overlap data) is served by Voilà from a temporary folder;
the test types a new threshold into the slider's readout and chooses another metric, and checks that
the count readout and the gallery change to what :func:`simlab.near_duplicates` gives.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

import simlab

REPO = Path(__file__).resolve().parents[1]
APP_TIMEOUT_MS = 120_000
UPDATE_TIMEOUT_MS = 180_000  # a loaded 2-core machine: the Pearson search at the loose end takes seconds


@pytest.fixture
def gallery_page_url(tmp_path: Path) -> Iterator[str]:
    """Voilà serving a notebook whose only output is the gallery app; yields its URL."""
    notebook = tmp_path / "gallery.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from simlab.gallery import gallery\ngallery()")])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(nb, notebook)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "voila.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         "--Voila.port_retries=0", "--VoilaConfiguration.preheat_kernel=False"],
        cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url + "/voila/static/voila.js", timeout=5).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None, (tmp_path / "voila.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "Voilà did not start in 90 s"
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _count(found) -> str:
    return f"{len(found)} pairs with {found.metric} {'≤' if found.direction == 'lower' else '≥'} {found.threshold:.4g}"


def _wait_for_count(page, text: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            "text => document.querySelector('.simlab-dup-count').innerText.includes(text)",
            arg=text, timeout=UPDATE_TIMEOUT_MS,
        )
    except PlaywrightTimeout:
        shown = page.inner_text(".simlab-dup-count")
        raise AssertionError(f"the count readout never showed {text!r}; it shows {shown!r}") from None


@pytest.mark.timeout(600)
def test_voila_gallery_follows_the_threshold_slider_and_the_metric_chooser(page, gallery_page_url, screenshot_dir):
    train = simlab.load_dataset("overlap", split="train")
    test = simlab.load_dataset("overlap", split="test")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(gallery_page_url + "/", wait_until="domcontentloaded")
    page.wait_for_selector(".simlab-dup-gallery figure", timeout=APP_TIMEOUT_MS)
    _wait_for_count(page, _count(simlab.near_duplicates(train, test)))
    assert page.locator(".simlab-dup-gallery figure").count() == 8
    assert page.locator(".simlab-dup-gallery img").count() == 24
    page.screenshot(path=str(screenshot_dir / "gallery_mse_0.005.png"))

    # type a looser threshold into the slider's readout: more pairs, and the gallery redraws
    before = page.inner_html(".simlab-dup-gallery")
    readout = page.locator(".simlab-dup-threshold .widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.03")
    page.keyboard.press("Enter")
    _wait_for_count(page, _count(simlab.near_duplicates(train, test, threshold=0.03)))
    assert page.inner_html(".simlab-dup-gallery") != before
    assert "not a copy" in page.inner_text(".simlab-dup-gallery")  # at 0.03 different letters pass
    page.screenshot(path=str(screenshot_dir / "gallery_mse_0.03.png"))

    # another metric: the slider jumps to its suggested threshold and the count follows
    page.locator(".simlab-dup-metric select").select_option(label=simlab.METRICS["pearson"].display)
    _wait_for_count(page, _count(simlab.near_duplicates(train, test, metric="pearson", threshold=0.98)))
    assert "precision 1.000" in page.inner_text(".simlab-dup-count")
    page.screenshot(path=str(screenshot_dir / "gallery_pearson.png"))
