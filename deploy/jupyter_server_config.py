"""Voilà inside a Jupyter server (Binder, a JupyterHub's single-user servers) with the classroom settings.

The classroom server (``voila notebooks/05_compare_live.ipynb`` from the repository root) reads
``voila.json``; a Jupyter server serving ``/voila/render/notebooks/05_compare_live.ipynb`` reads this
file instead (``postBuild`` copies it to ``~/.jupyter/``; on a JupyterHub put it in the single-user
image's ``/etc/jupyter/``). The values are voila.json's (tests/test_browser.py checks they agree),
except what a Jupyter server does not offer: preheated kernels and the identity provider (the hub's
login stays; the ``_xsrf`` cookie for the tab-close shutdown comes from a prelaunch hook).
"""

from simlab.classroom import set_xsrf_cookie

c = get_config()  # noqa: F821  (defined by Jupyter when it reads this file)

# notebook 05 as a page: the tour's checks and the exercises are left out
c.TagRemovePreprocessor.remove_cell_tags = ["jupyterlab-only"]
# a burst of opens takes tens of seconds on a small machine: only a hang becomes an error, and it is interrupted
c.VoilaExecutor.timeout = 120
c.VoilaExecutor.interrupt_on_timeout = True
c.VoilaExecutor.iopub_timeout = 60
# closing or reloading a tab shuts its kernel down (Voilà's beacon passes the XSRF check)
c.VoilaConfiguration.prelaunch_hook = set_xsrf_cookie
# kernels keep their input history in memory (no shared SQLite file for kernels started together to lock)
c.MappingKernelManager.kernel_manager_class = "simlab.classroom.ClassroomKernelManager"
# a lesson: open tabs are never culled; kernels nobody is connected to go after 10 minutes
c.MappingKernelManager.cull_idle_timeout = 600
c.MappingKernelManager.cull_interval = 60
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = False
