"""Executes every notebook in this folder top to bottom against a safetally work directory,
or against one release folder (it holds manifest.json).

    python notebooks/run_all.py WORK_DIR
    python notebooks/run_all.py RELEASE_DIR

Exits non-zero, naming the notebook and cell, when any cell raises or a cell that draws a
chart shows no image. Used by the tests.
"""
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    work = pathlib.Path(sys.argv[1]).resolve()
    here = pathlib.Path(__file__).resolve().parent
    if (work / "manifest.json").exists():
        os.environ["SAFETALLY_RELEASE"] = str(work)
    else:
        os.environ["SAFETALLY_WORK"] = str(work)
    failed = 0
    for path in sorted(here.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.time()
        try:
            NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(here)}}).execute()
            # A chart nobody sees is a failure too: with matplotlib's Agg backend the cells ran
            # and showed nothing (an outside review).
            drawn = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "plt.show()" in c.source]
            blank = [i for i in drawn if not any("image/png" in o.get("data", {}) for o in nb.cells[i].get("outputs", []))]
            if blank:
                failed += 1
                print(f"{path.name}: FAILED: cell(s) {blank} draw a chart but show no image", file=sys.stderr)
                continue
            print(f"{path.name}: ok in {time.time() - start:.1f} s, {len(drawn)} chart(s) shown")
        except CellExecutionError as e:
            failed += 1
            print(f"{path.name}: FAILED\n{e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
