"""What the README tells Windows users, and its warning that a ``simlab/`` folder shadows the package."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_windows_commands_mirror_the_tutorial_command_with_scripts_paths():
    tutorial = README.split("<!-- tutorial-command -->", 1)[1].split("```", 2)[1]
    windows = README.split("**On Windows**", 1)[1].split("```bat", 1)[1].split("```", 1)[0]
    assert "pip install -e ." in tutorial and r".venv\Scripts\pip install -e ." in windows
    notebook = re.search(r"notebooks/(\S+\.ipynb)", tutorial).group(1)
    assert rf"notebooks\{notebook}" in windows and (ROOT / "notebooks" / notebook).exists()
    assert "/" not in windows.replace("https://", "")  # Windows paths only


def test_a_simlab_folder_in_the_working_directory_shadows_the_installed_package(tmp_path):
    impostor = tmp_path / "simlab"
    impostor.mkdir()
    (impostor / "__init__.py").write_text("")
    check = "import simlab; print(simlab.__file__)"  # the check the README gives
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    shadowed = subprocess.run([sys.executable, "-c", check], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert Path(shadowed.stdout.strip()).parent == impostor, shadowed.stderr
    assert check in README and "shadows" in README
