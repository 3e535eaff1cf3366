"""Every tutorial in ``notebooks/`` runs top to bottom and draws at least one figure.

Each notebook found by the glob is executed in memory with nbclient, from the notebooks
folder (as Jupyter would run it), on an IPython kernel started with this very Python (the
project's ``.venv``), whatever kernels the machine has registered elsewhere. Outputs are
never written back: the notebooks stay committed without outputs.
"""

import sys
import time
from pathlib import Path

import ipykernel  # noqa: F401  (the kernel the notebooks run on: a test dependency, never skipped)
import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT_S = 600
"""Generous: a cell that needs this long on a busy 2-core machine is a bug in the tutorial."""


def kernel_manager() -> KernelManager:
    """A kernel manager whose ``python3`` kernel is ipykernel on ``sys.executable``: no kernel
    spec from the user's or the system's Jupyter folders is consulted."""
    specs = KernelSpecManager(kernel_dirs=[], ensure_native_kernel=True)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    assert Path(manager.kernel_spec.argv[0]).resolve() == Path(sys.executable).resolve()
    return manager


def images(notebook) -> list[dict]:
    """The PNG images among the notebook's outputs."""
    return [output for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]


def test_notebooks_are_found():
    assert NOTEBOOKS, f"no notebook in {NOTEBOOK_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_plots(path: Path):
    notebook = nbformat.read(path, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        f"{path.name} is committed with outputs; clear them (the test runs it afresh)"
    client = nbclient.NotebookClient(notebook, km=kernel_manager(), timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell and its traceback, on any error
    wall = time.perf_counter() - start
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors, f"{path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    assert images(notebook), f"{path.name} drew no figure (no image/png output)"
    print(f"{path.name}: {wall:.1f} s")
