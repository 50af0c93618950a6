"""Every notebook runs top to bottom in a fresh kernel, and is committed without outputs.

The notebooks are found by globbing ``notebooks/*.ipynb``, so a new notebook is tested as soon as it
is added. Each runs with nbclient in a fresh ``python3`` kernel whose working directory is
``notebooks/``; any error fails the test, except in cells tagged ``raises-exception`` (and those must
raise). Set ``SIMLAB_EXECUTED_NOTEBOOKS=/some/dir`` to keep the executed copies (with outputs and
figures) for inspection.

Each notebook is executed once. The exercise cells run as stored (``answer = ____``: the check says
"not answered"), and each is followed by a cell added for the test that runs the question's
``solution()`` and asserts that the same check then passes; so a notebook's prose, its figures and its
solutions are all checked in that one run.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 300  # seconds per cell: 06's letters matrices take 40-150 s on a loaded 2-core machine
RAISES = "raises-exception"
CHECK = re.compile(r"^(?P<question>\w+\.q\w+)\.check\((?P<answer>.*)\)\s*$")
MIN_EXERCISES = 3

# A missing notebook folder must fail, never skip: parametrize over a sentinel in that case.
_PARAMS = [pytest.param(p, id=p.stem) for p in NOTEBOOKS] or [pytest.param(None, id="no-notebooks")]


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _require(path: Path | None) -> Path:
    assert path is not None, f"no notebooks found in {NOTEBOOK_DIR}"
    return path


def _execute(nb: nbformat.NotebookNode) -> float:
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on an error outside a raises-exception cell
    return time.perf_counter() - start


def _with_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """A copy in which every exercise cell is followed by one that runs its solution and re-checks."""
    nb = nbformat.from_dict(nb)
    cells, count = [], 0
    for cell in nb.cells:
        cells.append(cell)
        lines = cell.source.strip().splitlines() if cell.cell_type == "code" else []
        match = CHECK.match(lines[-1]) if lines else None
        if match:
            count += 1
            question, answer = match["question"], match["answer"]
            solved = nbformat.v4.new_code_cell(
                f"exec(compile({question}.solution().text, '<solution of {question}>', 'exec'))\n"
                f"_verdict = {question}.check({answer})\n"
                "assert _verdict, _verdict"
            )
            solved.metadata["simlab_test"] = "solution"
            cells.append(solved)
    nb.cells = cells
    return nb, count


@pytest.mark.notebook
@pytest.mark.parametrize("path", _PARAMS)
def test_notebook_runs_top_to_bottom_and_its_solutions_pass_their_checks(path: Path | None) -> None:
    path = _require(path)
    nb, count = _with_solutions(nbformat.read(path, as_version=4))
    assert count >= MIN_EXERCISES, (
        f"{path.name}: found {count} exercise cells ending in `ex.qN.check(answer)`; "
        f"every notebook ends with at least {MIN_EXERCISES} exercises"
    )
    elapsed = _execute(nb)  # a failing solution check raises AssertionError with the verdict inside the kernel
    print(f"{path.name}: executed in {elapsed:.1f} s")
    nb.cells = [cell for cell in nb.cells if cell.metadata.get("simlab_test") != "solution"]

    keep = os.environ.get("SIMLAB_EXECUTED_NOTEBOOKS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, Path(keep) / path.name)

    for index, cell in enumerate(_code_cells(nb)):
        if RAISES in cell.metadata.get("tags", []):
            errors = [out for out in cell.outputs if out.output_type == "error"]
            assert errors, f"{path.name}: code cell {index} is tagged {RAISES!r} but did not raise"


@pytest.mark.parametrize("path", _PARAMS)
def test_notebook_is_committed_without_outputs(path: Path | None) -> None:
    path = _require(path)
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [
        index
        for index, cell in enumerate(_code_cells(nb))
        if cell.get("outputs") or cell.get("execution_count") is not None
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or execution counts; strip them before "
        "committing (clear `outputs`, set `execution_count` to None)"
    )


def test_there_are_notebooks_to_run() -> None:
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}: the notebook tests would run nothing"
