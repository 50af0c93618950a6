"""A class opens notebook 05's Voilà page at the same moment: does every student get a working app?

Starts one Voilà server on 127.0.0.1 from the repository root (so it reads ``voila.json``, as the
classroom command does), waits for its pool of preheated kernels, then opens N pages at once in
headless Chromium, one browser context per student (own cookies). For each page it measures:

- **ready**: navigation to a working app (the metric table and the figure drawn), timed inside the
  page by a MutationObserver, or a failure (an error or time-out box, a piece of Voilà's JavaScript
  that webpack gave up on after 120 s, or no app within ``--timeout`` seconds); also the slowest
  piece of JavaScript to arrive, and the CPU the browser, the Voilà server and the kernels used
  while the pages opened;
- **update**: each student then changes the right image's index ``--changes`` times (typing a new
  index, as in the page), and the time from the input event to the table's new text is measured in
  the page;
- **memory**: each page's kernel, unshared memory (USS from ``/proc/<pid>/smaps_rollup``) after the
  changes;
- **release**: the pages are closed as a tab is (``beforeunload`` runs, Voilà posts its shutdown
  request); how many of the pages' kernels are still running 20 s later, and the kernels and memory
  left (the refilled pool).

The browser, the server and the kernels share this machine's cores, so on a small machine the
numbers include the browser's own work. Bounded: at most 60 pages, every wait has a deadline. Each
page's console messages, errors and websockets go to ``pages.txt`` beside the server's log, with a
screenshot of any page that failed.

Run:  python benchmarks/bench_classroom.py --pages 30 [--changes 5] [--pool-size 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from simlab.classroom import kernel_processes

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/05_compare_live.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-renderer-backgrounding", "--disable-background-timer-throttling"]
MAX_PAGES = 60
#: JavaScript, true when the app is there: its table of metrics and its figure with an image
APP = "(document.querySelector('.simlab-metrics table') && document.querySelector('.simlab-figure[src]'))"
#: Run in each page before its own scripts: note the moment (ms from the navigation's start) the app is
#: there (table and figure), from DOM changes, so the benchmark's waiting costs the browser nothing. The
#: widgets get their CSS classes after they are in the page: class changes are watched too.
READY_SCRIPT = """
new MutationObserver((_, observer) => {
    if (APP) {
        window.simlabReady = performance.now();
        observer.disconnect();
    }
}).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ['src', 'class']});
// a piece of Voilà's JavaScript that did not arrive in time (webpack gives up after 120 s): no app, ever
const chunkFailed = reason => { if (/Loading chunk/.test(String(reason))) window.simlabFailed = String(reason); };
window.addEventListener('unhandledrejection', event => chunkFailed(event.reason));
window.addEventListener('error', event => chunkFailed(event.message));
""".replace("APP", APP)
#: Before a change: a promise of the ms from the index box's input event to the table's new text.
UPDATE_SCRIPT = """box => {
    const table = document.querySelector('.simlab-metrics'), before = table.innerText;
    let typed;
    box.addEventListener('input', event => { typed = event.timeStamp; }, {once: true});
    window.simlabUpdate = new Promise(resolve => new MutationObserver((_, observer) => {
        if (typed !== undefined && table.innerText !== before) {
            observer.disconnect();
            resolve(performance.now() - typed);
        }
    }).observe(table, {childList: true, subtree: true, characterData: true}));
}"""


def uss_mb(pid: int) -> float:
    """Unique set size of a process in MB: the memory only it holds (private clean + dirty pages)."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith(("Private_Clean:", "Private_Dirty:", "Private_Hugetlb:")):
                total += int(line.split()[1])
    return total / 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(log: Path, extra: list[str]) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    command = [sys.executable, "-m", "voila", NOTEBOOK, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
               "--Voila.port_retries=0", *extra]
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"voila exited:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/voila/static/voila.js", timeout=5):
                return process, url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"voila did not start within 120 s:\n{log.read_text()[-2000:]}")


def kernel_cpu_seconds(server_pid: int) -> list[float]:
    """CPU seconds (user + system) each of the server's kernels has used so far."""
    import psutil

    seconds = []
    for pid in kernel_processes(server_pid).values():
        try:
            cpu = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        seconds.append(cpu.user + cpu.system)
    return seconds


def wait_for_pool(server_pid: int, pool_size: int, timeout: float) -> float:
    """Seconds until ``pool_size`` kernels have rendered the app (each used >= 1 s of CPU, then went quiet)."""
    import psutil

    start = time.monotonic()
    if pool_size <= 0:
        return 0.0
    previous: dict[int, float] = {}
    quiet_since = None
    while time.monotonic() - start < timeout:
        times = {}
        for pid in kernel_processes(server_pid).values():
            try:
                cpu = psutil.Process(pid).cpu_times()
                times[pid] = cpu.user + cpu.system
            except psutil.Error:
                pass
        busy = (len(times) < pool_size or any(cpu < 1.0 for cpu in times.values())
                or any(times[pid] - previous.get(pid, -1.0) > 0.05 for pid in times))
        previous = times
        if busy:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= 2.0:
            return quiet_since - start
        time.sleep(0.5)
    raise RuntimeError(f"the kernel pool was not ready after {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def cpu_by_role(server_pid: int) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each process of the browser, the server itself and its kernels."""
    import psutil

    def seconds(process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    roles: dict[str, dict[int, float]] = {"browser": {}, "server": {}, "kernels": {}}
    kernels = set(kernel_processes(server_pid).values())
    for pid in [server_pid, *kernels]:
        try:
            roles["server" if pid == server_pid else "kernels"][pid] = seconds(psutil.Process(pid))
        except psutil.Error:
            pass
    for child in psutil.Process().children(recursive=True):
        try:
            if "chrom" in child.name():
                roles["browser"][child.pid] = seconds(child)
        except psutil.Error:
            pass
    return roles


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each role used between two :func:`cpu_by_role` readings (processes gone since are lost)."""
    return {role: sum(value - before[role].get(pid, 0.0) for pid, value in after[role].items()) for role in after}


async def _wait_for_app(page, timeout: float, began: float, note) -> float:
    """Seconds from the navigation's start to the app, in the page's own clock; RuntimeError if it failed.

    The page itself notes when the app appears (READY_SCRIPT); a look once a second also catches an
    error box, and the app should the page's note be missing.
    """
    await page.wait_for_function(
        """() => window.simlabReady !== undefined || APP || window.simlabFailed
                 || /Error|timed out/.test(document.body ? document.body.innerText : '')""".replace("APP", APP),
        timeout=timeout * 1000, polling=1000)
    ready_ms = await page.evaluate(
        """() => window.simlabReady !== undefined ? window.simlabReady : APP ? -1 : null""".replace("APP", APP))
    if ready_ms == -1:  # the page's own note is missing: time it here instead (to within the 1 s look)
        note("app found by the 1 s look, not by the page's observer")
        ready_ms = (time.monotonic() - began) * 1000
    if ready_ms is None:
        failed = await page.evaluate("() => window.simlabFailed")
        if failed:
            raise RuntimeError(failed[:200])
        text = await page.inner_text("body")
        shown = [line for line in text.splitlines() if "rror" in line or "timed out" in line]
        raise RuntimeError(" ".join(shown)[:200])
    return ready_ms / 1000


async def _kernel_id(page) -> str:
    """The id of the kernel behind a Voilà page (from the page's configuration)."""
    return await page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")


async def _student(browser, url: str, index: int, start: asyncio.Event, args, indices: list[int],
                   opened) -> dict:
    """One student: open the page when told, wait for the app, change the right image, report."""
    result = {"ready": None, "updates": [], "error": None, "kernel": None, "commit": None, "html": None,
              "slowest_script": None}
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    await context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
        (url, "data:", "blob:")) else route.abort())
    await context.add_init_script(READY_SCRIPT)
    page = await context.new_page()
    result["context"], result["page"] = context, page
    events = result["events"] = []
    t0 = [time.monotonic()]

    def note(text):
        events.append(f"{time.monotonic() - t0[0]:7.1f} {text}"[:300])

    page.on("console", lambda m: note(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: note(f"pageerror: {e}"))
    page.on("requestfailed", lambda r: note(f"requestfailed: {r.url} {r.failure}"))
    page.on("websocket", lambda ws: (note(f"ws open {ws.url}"), ws.on("close", lambda w: note("ws close"))))
    await start.wait()
    began = t0[0] = time.monotonic()
    try:
        await page.goto(url + "/", wait_until="commit", timeout=args.timeout * 1000)
        result["commit"] = time.monotonic() - began
        await page.wait_for_load_state("domcontentloaded", timeout=args.timeout * 1000)
        result["html"] = time.monotonic() - began
        result["ready"] = await _wait_for_app(page, args.timeout, began, note)
        opened()
        result["kernel"] = await _kernel_id(page)
        # the longest wait for one piece of JavaScript, from asking to having it (webpack gives up at 120 s)
        slowest_ms = await page.evaluate("""() => Math.max(...performance.getEntriesByType('resource')
            .filter(entry => entry.initiatorType === 'script').map(entry => entry.responseEnd - entry.startTime))""")
        result["slowest_script"] = slowest_ms / 1000
        box = page.locator(".simlab-b input")
        rng = random.Random(index)
        for value in indices:
            await asyncio.sleep(rng.uniform(0.2, 1.0))  # a student reads the table before the next change
            await box.evaluate(UPDATE_SCRIPT)
            await box.fill(str(value))  # the index applies as typed
            milliseconds = await asyncio.wait_for(page.evaluate("() => window.simlabUpdate"), args.timeout)
            result["updates"].append(milliseconds / 1000)
    except Exception as error:  # a failed page is counted and reported, not fatal to the run
        result["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"
        if result["ready"] is None:
            opened()
        try:
            state = await page.evaluate("""() => ({widgets: document.querySelectorAll('.jupyter-widgets').length,
                table: !!document.querySelector('.simlab-metrics table'),
                figure: !!document.querySelector('.simlab-figure'),
                src: (document.querySelector('.simlab-figure') || {getAttribute: () => null}).getAttribute('src'),
                ready: window.simlabReady,
                text: (document.body ? document.body.innerText : '').slice(0, 2000)})""")
            note(f"at failure: {state}")
            await page.screenshot(path=args.log_dir / f"failed-{index}.png", full_page=True)
        except Exception as why:
            note(f"at failure: page not readable ({why})")
    return result


async def _reload(result: dict, args) -> float | str:
    """Reload a student's page: seconds from the reload to the app (in the page's clock), or what went wrong."""
    page = result["page"]
    began = time.monotonic()
    try:
        await page.reload(wait_until="commit", timeout=args.timeout * 1000)
        ready = await _wait_for_app(page, args.timeout, began, lambda text: result["events"].append(f"reload: {text}"))
        result["kernel"] = await _kernel_id(page)
        return ready
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0][:160]}"


async def run_class(url: str, args, server_pid: int) -> dict:
    from playwright.async_api import async_playwright

    rng = np.random.default_rng(0)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        start, all_opened, waiting = asyncio.Event(), asyncio.Event(), [args.pages]

        def opened():  # a page showed the app or failed to
            waiting[0] -= 1
            if waiting[0] == 0:
                all_opened.set()

        tasks = [asyncio.create_task(_student(browser, url, i, start, args,
                                              [int(v) for v in rng.integers(2, 6500, args.changes)], opened))
                 for i in range(args.pages)]
        await asyncio.sleep(1.0)  # every context and page made: now they all navigate at once
        cpu_before = cpu_by_role(server_pid)
        start.set()
        await asyncio.wait_for(all_opened.wait(), timeout=args.timeout + 60)
        cpu_opening = cpu_used(cpu_before, cpu_by_role(server_pid))
        results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.timeout * (2 + args.changes))
        reloads = []
        if args.reload:  # the teacher says "reload the page": every student at the same moment
            reloads = await asyncio.gather(*(_reload(r, args) for r in results if r["ready"] is not None))
        kernels = kernel_processes(server_pid)
        page_kernels = {r["kernel"] for r in results if r["kernel"]}
        uss = [uss_mb(pid) for kernel, pid in kernels.items() if kernel in page_kernels]
        before_close = len(kernels)
        closed = time.monotonic()
        await asyncio.gather(*(r["page"].close(run_before_unload=True) for r in results), return_exceptions=True)
        left = page_kernels
        while time.monotonic() - closed < 20 and left:
            await asyncio.sleep(0.25)
            left = page_kernels & set(kernel_processes(server_pid))
        release = time.monotonic() - closed
        await asyncio.gather(*(r["context"].close() for r in results), return_exceptions=True)
        await browser.close()
    await asyncio.sleep(args.settle)  # the pool refills after the burst: what stays when the class is gone
    kernels = kernel_processes(server_pid)
    return {"results": results, "reloads": reloads, "cpu_opening": cpu_opening, "uss": uss,
            "kernels_open": before_close, "left": len(left), "release_s": release, "kernels_after": len(kernels),
            "uss_after": sum(uss_mb(pid) for pid in kernels.values())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30, help=f"students opening the page at once (<= {MAX_PAGES})")
    parser.add_argument("--changes", type=int, default=5, help="right-image changes per student (default 5)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds a page may take to show the app")
    parser.add_argument("--pool-size", type=int, default=None, help="preheated kernels (default: voila.json's)")
    parser.add_argument("--reload", action="store_true",
                        help="after the changes, every student reloads the page at the same moment")
    parser.add_argument("--settle", type=float, default=30, help="seconds to wait after closing before the count")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--voila-arg", action="append", default=[], help="extra voila option (repeatable)")
    args = parser.parse_args(argv)
    if not 1 <= args.pages <= MAX_PAGES:
        parser.error(f"--pages must be 1..{MAX_PAGES}, got {args.pages}")
    config = json.loads((REPO / "voila.json").read_text())
    pool = args.pool_size if args.pool_size is not None else config["VoilaConfiguration"]["default_pool_size"]
    extra = [*args.voila_arg, f"--VoilaConfiguration.default_pool_size={pool}"]
    args.log_dir = Path(tempfile.mkdtemp(prefix="simlab-bench-"))
    log = args.log_dir / "voila.log"
    load_before = os.getloadavg()
    started = time.monotonic()
    process, url = start_server(log, extra)
    try:
        pool_seconds = wait_for_pool(process.pid, pool, timeout=60 + 10 * pool)
        pool_kernels = kernel_processes(process.pid)
        pool_uss = [uss_mb(pid) for pid in pool_kernels.values()]
        pool_cpu = kernel_cpu_seconds(process.pid)
        print(f"server up and {len(pool_kernels)} preheated kernel(s) ready in {time.monotonic() - started:.1f} s "
              f"(pool {pool_seconds:.1f} s); a preheated kernel after rendering the app: USS median "
              f"{np.median(pool_uss) if pool_uss else float('nan'):.0f} MB, CPU median "
              f"{np.median(pool_cpu) if pool_cpu else float('nan'):.2f} s (start + imports + app)")
        outcome = asyncio.run(run_class(url, args, process.pid))
    finally:
        stop_server(process)
    results = outcome["results"]
    ready = np.array([r["ready"] for r in results if r["ready"] is not None])
    updates = np.array([u for r in results for u in r["updates"]])
    failed = [r["error"] for r in results if r["error"]]
    expected_updates = args.pages * args.changes

    def q(values: np.ndarray, p: float) -> str:
        return f"{np.percentile(values, p):.2f}" if values.size else "-"

    print(f"\nN = {args.pages} pages at once, {args.changes} changes each, pool {pool}, "
          f"load average before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f} (2-core machine shared)")
    print("| N | rendered | failed | ready p50 s | ready p95 s | updates | update p50 s | update p95 s "
          "| kernel USS MB (median, max) | page kernels left after close | kernels, USS MB after |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    uss = np.array(outcome["uss"])
    print(f"| {args.pages} | {ready.size} | {len(failed)} | {q(ready, 50)} | {q(ready, 95)} | "
          f"{updates.size}/{expected_updates} | {q(updates, 50)} | {q(updates, 95)} | "
          f"{np.median(uss) if uss.size else float('nan'):.0f}, {uss.max() if uss.size else float('nan'):.0f} | "
          f"{outcome['left']} (all gone {outcome['release_s']:.1f} s after closing) | "
          f"{outcome['kernels_after']}, {outcome['uss_after']:.0f} |")
    for phase in ("commit", "html", "slowest_script"):
        values = np.array([r[phase] for r in results if r[phase] is not None])
        print(f"{phase}: p50 {q(values, 50)} s, p95 {q(values, 95)} s")
    if args.reload:
        reloaded = np.array([t for t in outcome["reloads"] if not isinstance(t, str)])
        print(f"reload, all at once: {reloaded.size}/{len(outcome['reloads'])} showed the app again, "
              f"p50 {q(reloaded, 50)} s, p95 {q(reloaded, 95)} s",
              *[t for t in outcome["reloads"] if isinstance(t, str)][:3], sep="\n")
    cpu = outcome["cpu_opening"]
    print(f"CPU seconds while the pages opened (until the last showed the app or failed): browser "
          f"{cpu['browser']:.1f}, Voilà server {cpu['server']:.1f}, kernels {cpu['kernels']:.1f} (the pool's "
          f"refill included); server side per page {(cpu['server'] + cpu['kernels']) / args.pages:.2f} s")
    for error in failed[:5]:
        print("failed:", error)
    with open(log.parent / "pages.txt", "w") as handle:
        for i, r in enumerate(results):
            handle.write(f"== page {i}: ready {r['ready']} error {r['error']}\n" + "\n".join(r["events"]) + "\n")
    print(f"server log {log}; page events {log.parent / 'pages.txt'}")
    print(json.dumps({"pages": args.pages, "pool": pool, "rendered": int(ready.size), "failed": len(failed),
                      "ready": ready.round(3).tolist(),
                      "slowest_script": [None if r["slowest_script"] is None else round(r["slowest_script"], 2)
                                         for r in results],
                      "updates": updates.round(3).tolist(),
                      "uss_mb": uss.round(1).tolist(), "left": outcome["left"],
                      "release_s": round(outcome["release_s"], 2), "kernels_after": outcome["kernels_after"],
                      "uss_after_mb": round(outcome["uss_after"], 1),
                      "cpu_opening": {role: round(value, 1) for role, value in cpu.items()},
                      "load": [load_before[0], os.getloadavg()[0]]}))


if __name__ == "__main__":
    main()
