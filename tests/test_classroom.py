"""The classroom server's kernel pool (simlab.classroom) without a browser: pool kernels start a few at a time."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest
from traitlets.config import Configurable
from voila.voila_kernel_manager import voila_kernel_manager_factory

from simlab.classroom import ClassroomMappingKernelManager

REPO = Path(__file__).resolve().parents[1]


class _VoilaApp(Configurable):
    """What Voilà's pool manager reads of its parent (a folder without notebooks: nothing starts by itself)."""

    def __init__(self, root_dir: Path, notebook: str | None = None) -> None:
        super().__init__()
        self.root_dir = str(root_dir)
        self.notebook_path = None if notebook is None else str(root_dir / notebook)
        self.base_url, self.server_url, self.port = "/", "/", 8866


def _pool_manager(tmp_path: Path, concurrency: int, render_seconds: float, log: list, fail: set = frozenset(),
                  pool_size: int = 0, **options):
    """Voilà's pool class derived from ours, its kernel start + notebook render replaced by a timed stand-in."""
    pool_class = voila_kernel_manager_factory(ClassroomMappingKernelManager, preheat_kernel=True,
                                              default_pool_size=pool_size)
    assert asyncio.iscoroutinefunction(pool_class._initialize)  # the step we throttle still exists in this Voilà

    class Recorded(pool_class):
        async def _initialize(self, notebook_path, kernel_id=None, **kwargs):
            log.append(("start", notebook_path))

            async def render():
                await asyncio.sleep(render_seconds)
                log.append(("rendered", notebook_path))
                if notebook_path in fail:
                    raise RuntimeError("a cell failed")

            kernel = f"kernel-{len(log)}"
            return {"task": asyncio.ensure_future(render()), "kernel_id": kernel,
                    "renderer": SimpleNamespace(stop_generator=False, rendered_cache=[])}

    parent = _VoilaApp(tmp_path, "class.ipynb" if pool_size else None)
    return Recorded(parent=parent, refill_concurrency=concurrency, **options)


def _run(coroutine_function):
    """Run an async function on its own event loop, in a thread: the browser tests' Playwright keeps a loop
    running in the main thread of the test process.
    """
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine_function()).result()


def _most_at_once(log: list) -> int:
    running = most = 0
    for event, _ in log:
        running += 1 if event == "start" else -1
        most = max(most, running)
    return most


@pytest.mark.parametrize("concurrency", [1, 2])
def test_pool_kernels_start_and_render_a_few_at_a_time(tmp_path, concurrency):
    log: list = []
    manager = _pool_manager(tmp_path, concurrency, 0.05, log, fail={"k1"})

    async def refill():
        return await asyncio.gather(*(manager._initialize(f"k{i}") for i in range(6)))

    contents = _run(refill)
    assert len({content["kernel_id"] for content in contents}) == 6
    assert all(content["task"].done() for content in contents)  # a slot is held until the render ended
    assert _most_at_once(log) == concurrency
    assert sum(event == "rendered" for event, _ in log) == 6  # a failed render does not stop the pool
    assert isinstance(contents[1]["task"].exception(), RuntimeError)  # its error stays for the page to show


def test_voila_json_uses_the_throttled_pool_with_half_the_cores(tmp_path, monkeypatch):
    config = json.loads((REPO / "voila.json").read_text())["VoilaConfiguration"]
    assert config["multi_kernel_manager_class"] == "simlab.classroom.ClassroomMappingKernelManager"
    assert config["preheat_kernel"] is True
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert ClassroomMappingKernelManager().refill_concurrency == 1
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert ClassroomMappingKernelManager().refill_concurrency == 4


@pytest.mark.parametrize("spare, started", [(None, 4 + 4), (2, 4 + 2), (0, 4 + 0)])
def test_after_the_class_arrived_the_pool_keeps_only_its_spare_kernels(tmp_path, spare, started):
    """A pool of 4 for a class of 4: Voilà alone starts 4 more once they are taken; with spare_pool_size, 2 (or 0)."""

    async def lesson():
        log: list = []
        manager = _pool_manager(tmp_path, 2, 0.01, log, pool_size=4, spare_pool_size=spare, fill_delay=0)
        await asyncio.sleep(0.1)  # the first pool has rendered
        assert manager.get_pool_size("class.ipynb") == 4
        pages = [await manager.get_rendered_notebook("class.ipynb") for _ in range(4)]  # the class arrives
        await asyncio.sleep(0.2)  # the refill is done
        return log, pages, manager.get_pool_size("class.ipynb")

    log, pages, pool_after = _run(lesson)
    assert len({kernel for _, _, kernel in pages}) == 4  # four students, four kernels
    assert sum(event == "start" for event, _ in log) == started
    assert pool_after == started - 4
