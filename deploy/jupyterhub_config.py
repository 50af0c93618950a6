"""A JupyterHub for a class bigger than one machine holds: one Jupyter server per student.

Each student's server runs from an image built from this repository (``environment.yml`` + ``postBuild``,
e.g. ``jupyter-repo2docker --image-name simlab .``, or Binder's own build), so it has simlab, Voilà and
``deploy/jupyter_server_config.py`` (the classroom settings of ``voila.json`` for Voilà inside a server).
The hub spreads the servers over as many machines as its spawner has (Kubernetes with Zero to JupyterHub,
DockerSpawner on one big machine, ...); the numbers below are what one student needs, measured with
``benchmarks/bench_classroom.py`` (a kernel holds ~140 MB of its own after rendering the app). Start it
with ``jupyterhub -f deploy/jupyterhub_config.py`` after choosing an authenticator and a spawner.
"""

import sys

c = get_config()  # noqa: F821  (defined by JupyterHub when it reads this file)

# the student lands on the app as a page; JupyterLab (with the tour's checks and exercises) is at /lab
c.Spawner.default_url = "/voila/render/notebooks/05_compare_live.ipynb"
# one student: the Jupyter server, notebook 05's kernel (~140 MB unshared) and room for a second notebook
c.Spawner.mem_limit = "1G"
c.Spawner.cpu_limit = 1.0
# a server can take a while to start when the whole class logs in at once
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 120

# servers of students who have left: stopped after an hour without activity (kernels inside a server are
# culled by the server itself, see deploy/jupyter_server_config.py: unconnected after 10 minutes)
c.JupyterHub.services = [
    {"name": "idle-culler", "command": [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=3600"]},
]
c.JupyterHub.load_roles = [
    {"name": "idle-culler", "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
     "services": ["idle-culler"]},
]
