"""Serving notebook 05 to a class with Voilà: the one piece of server code the classroom needs.

Voilà's page shuts its kernel down when the tab closes or reloads: on ``beforeunload`` it posts to
``/voila/api/shutdown/<kernel id>`` with ``navigator.sendBeacon``, sending the ``_xsrf`` cookie's value
as the ``_xsrf`` form field. But Voilà 0.5 never sets that cookie (its page is rendered without
asking for an XSRF token), so the field is empty and the server answers ``403 '_xsrf' argument
missing from POST``: every closed or reloaded tab leaves its kernel (~150 MB) running until the
culler finds it.

:class:`XsrfCookieIdentityProvider` sets the cookie when the page is served, so the shutdown
request passes the server's normal XSRF check. CSRF protection is kept: a POST still needs a form
field equal to the cookie, which a page of another site can neither read nor set (the
"double-submit cookie" pattern tornado implements). The alternative, ``disable_check_xsrf``, lets
any web page a student visits post to the server, including shutting their kernels down.

The repository's ``voila.json`` installs it for the classroom server (``voila notebooks/05...``)::

    {"Voila": {"identity_provider_class": "simlab.classroom.XsrfCookieIdentityProvider"}}

Where Voilà runs inside a Jupyter server (Binder, a JupyterHub's single-user servers: the page is
``/voila/render/notebooks/05_compare_live.ipynb``), the server's own identity provider (the hub's
login) must stay, so ``deploy/jupyter_server_config.py`` sets the cookie from Voilà's
``prelaunch_hook`` instead: :func:`set_xsrf_cookie`. (Voilà refuses a prelaunch hook together with
preheated kernels, which a Jupyter server does not offer anyway.)

A class's kernels start at the same moment, and IPython's kernels all write their input history to
one SQLite file (``~/.ipython/profile_default/history.sqlite``): measured, with 30 at once one of them
found the database locked and printed "The history saving thread hit an unexpected error" in red on a
student's page. :class:`ClassroomKernelManager` starts Python kernels with their history in memory, as
nbclient does for the notebooks it runs (``voila.json``: ``MappingKernelManager.kernel_manager_class``).

When a class opens the page, each student takes one of Voilà's preheated kernels, and Voilà starts
a replacement for each (``fill_delay`` seconds later) all at once: measured on a 2-core machine, 30
kernels importing numpy, scipy and matplotlib and rendering the app (about 1.4 s of CPU each) took
half the CPU while the students' pages were still loading. :class:`ClassroomMappingKernelManager`
lets the pool start its kernels a few at a time (``refill_concurrency``, half the cores), so the
pages being opened get the machine first and the pool still refills (``voila.json``:
``VoilaConfiguration.multi_kernel_manager_class``). Voilà also refills to the whole pool, so after
the class arrived 30 more kernels (4 GB) would wait for nobody; with ``spare_pool_size`` the first
pool is the class's size and afterwards only a few kernels are kept ready, for reloads and latecomers.

This module is imported by the Voilà server only; it is not part of ``import simlab``.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager, ServerKernelManager
from traitlets import Integer, default
from voila.voila_identity_provider import VoilaIdentityProvider

__all__ = ["ClassroomKernelManager", "ClassroomMappingKernelManager", "XsrfCookieIdentityProvider",
           "kernel_processes", "set_xsrf_cookie"]


class XsrfCookieIdentityProvider(VoilaIdentityProvider):
    """Voilà's identity provider that also gives every page its ``_xsrf`` cookie.

    On each GET it asks the request handler for its XSRF token, which makes tornado set the
    ``_xsrf`` cookie on the response if the browser has none; nothing else changes (who the user
    is, token login, what is checked on POST).

    Examples
    --------
    >>> from traitlets.config import Config
    >>> provider = XsrfCookieIdentityProvider(config=Config(), token="")
    >>> provider.auth_enabled      # no token: Voilà's anonymous users, as before
    False
    """

    async def get_user(self, handler: Any) -> Any:
        user = await ensure_async(super().get_user(handler))
        if user is not None and handler.request.method == "GET":
            # tornado's xsrf_token reads handler.current_user; set it now (prepare() sets it again)
            handler.current_user = handler._jupyter_current_user = user
            handler.xsrf_token  # noqa: B018  (the property sets the cookie when the browser has none)
        return user


def set_xsrf_cookie(handler: Any, notebook: Any = None, cwd: Any = None) -> None:
    """Voilà ``prelaunch_hook``: give the page its ``_xsrf`` cookie before its kernel starts.

    For Voilà inside a Jupyter server (see the module docstring); the user is already known there.

    Parameters
    ----------
    handler : tornado.web.RequestHandler
        The request for the page.
    notebook, cwd : optional
        The notebook and its folder (part of the hook's signature; not used).

    Examples
    --------
    >>> class Page:  # what the hook touches of a tornado request handler
    ...     xsrf_token = b"2|1a2b3c4d|..."
    >>> set_xsrf_cookie(Page())
    """
    handler.xsrf_token  # noqa: B018  (the property sets the cookie when the browser has none)


class ClassroomKernelManager(ServerKernelManager):
    """The Jupyter server's kernel manager, starting Python kernels with their history in memory.

    Examples
    --------
    >>> manager = ClassroomKernelManager(kernel_name="python3")
    >>> manager.format_kernel_cmd()[-1]
    '--HistoryManager.hist_file=:memory:'
    """

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        extra = list(extra_arguments or [])
        if self.kernel_spec is not None and self.kernel_spec.language == "python":
            extra.append("--HistoryManager.hist_file=:memory:")  # no shared SQLite file to lock
        return super().format_kernel_cmd(extra)


class ClassroomMappingKernelManager(AsyncMappingKernelManager):
    """The Jupyter server's kernel manager; under Voilà's preheated pool, it starts pool kernels a few at a time.

    With ``preheat_kernel``, Voilà derives its pool manager from this class; each pool kernel is
    started and runs the notebook in the pool's ``_initialize``. Here that step waits for one of
    ``refill_concurrency`` slots and holds it until the kernel has rendered the notebook, so a class
    opening the page at once is not slowed by 30 replacement kernels starting together. Once a page
    has taken a kernel, the pool is refilled to ``spare_pool_size`` kernels instead of its first size.
    A request for the page while the pool is empty waits for the next kernel, as with Voilà's own
    pool. Without the pool (Voilà inside a Jupyter server) nothing changes.

    Examples
    --------
    >>> ClassroomMappingKernelManager(refill_concurrency=1).refill_concurrency
    1
    """

    refill_concurrency = Integer(help="Pool kernels starting (and rendering the notebook) at the same time.",
                                 config=True)
    spare_pool_size = Integer(None, allow_none=True, config=True,
                              help="Kernels the pool keeps ready once its first kernels are in use (for "
                                   "reloads and latecomers); None refills to Voilà's pool size.")

    @default("refill_concurrency")
    def _half_the_cores(self) -> int:
        return max(1, (os.cpu_count() or 2) // 2)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        initialize = getattr(self, "_initialize", None)  # Voilà 0.5's pool step, when it derives from this class
        if initialize is not None:
            self._initialize = self._with_slot(initialize)
            if self.spare_pool_size is not None:
                self.fill_if_needed = self._spare_after_first_use(self.fill_if_needed)

    def _spare_after_first_use(self, fill_if_needed: Any) -> Any:
        @functools.wraps(fill_if_needed)
        def refill(delay: float | None = None, notebook_name: str | None = None, **kwargs: Any) -> None:
            if delay is None:  # a page took a kernel (the first fill, at start, passes delay=0)
                self.kernel_pools_config = {
                    name: {**pool, "pool_size": min(pool.get("pool_size", 1), self.spare_pool_size)}
                    for name, pool in self.kernel_pools_config.items()}
            fill_if_needed(delay, notebook_name, **kwargs)

        return refill

    def _with_slot(self, initialize: Any) -> Any:
        slots = asyncio.Semaphore(self.refill_concurrency)

        @functools.wraps(initialize)
        async def one_of_a_few(*args: Any, **kwargs: Any) -> dict:
            async with slots:
                content = await initialize(*args, **kwargs)
                # rendering ends when every cell ran, or early when a page took the kernel; its errors are
                # the page's to show, not the pool's
                await asyncio.wait([content["task"]])
            return content

        return one_of_a_few


def kernel_processes(server_pid: int) -> dict[str, int]:
    """Kernel id -> pid of every kernel the server runs (found by their connection file's name)."""
    import psutil  # comes with the Jupyter stack (IPython needs it); the test extra names it too

    found = {}
    try:
        children = psutil.Process(server_pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return found
    for child in children:
        try:
            arguments = child.cmdline()
        except psutil.Error:
            continue
        for argument in arguments:
            name = os.path.basename(argument)
            if name.startswith("kernel-") and name.endswith(".json"):
                found[name[len("kernel-"):-len(".json")]] = child.pid
    return found
