"""The set-up files agree with each other: pyproject.toml, environment.yml, README.md and .ci/run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
_NAME = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _split(requirement: str) -> tuple[str, str]:
    name, spec = _NAME.match(requirement.split(";")[0]).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _readme_commands() -> dict[str, str]:
    text = (ROOT / "README.md").read_text()
    found = re.findall(r"<!-- (\w+)-command -->\n```bash\n(.+?)\n```", text)
    return dict(found)


def test_environment_yml_lists_the_same_runtime_dependencies_as_pyproject():
    runtime = dict(_split(r) for r in _pyproject()["project"]["dependencies"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    conda.pop("pip")
    python = conda.pop("python")
    assert python == ">=" + _pyproject()["project"]["requires-python"].lstrip(">=")
    assert conda == runtime


def test_binder_installs_simlab_after_copying_the_repository():
    post_build = (ROOT / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post_build
    assert (ROOT / "postBuild").stat().st_mode & 0o111, "postBuild must be executable for repo2docker"


def test_readme_has_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text()
    commands = _readme_commands()
    assert sorted(commands) == ["test", "tutorial"]
    assert text.count("-command -->") == 2
    tutorial = commands["tutorial"]
    assert "pip install -e ." in tutorial
    notebook = re.search(r"jupyter lab (\S+\.ipynb)", tutorial).group(1)
    assert (ROOT / notebook).is_file(), f"the tutorial command opens {notebook}, which does not exist"
    assert 'pip install -e ".[test]"' in commands["test"] and "pytest" in commands["test"]


def test_ci_runs_the_readme_test_command_verbatim():
    script = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in script
    awk = re.search(r"cmd=\$\(awk '([^']+)' README.md\)", script).group(1)
    extracted = subprocess.run(
        ["awk", awk, "README.md"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert extracted == _readme_commands()["test"]


@pytest.mark.parametrize("module", ["matplotlib", "ipywidgets", "skimage", "sklearn", "IPython"])
def test_import_simlab_does_not_import_heavy_modules(module):
    code = f"import sys, simlab; sys.exit(1 if {module!r} in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"import simlab imported {module}: {result.stderr}"
