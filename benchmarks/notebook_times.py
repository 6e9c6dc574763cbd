"""How long each notebook takes in full mode (what users run), on this machine.

Runs every ``notebooks/NN_*.ipynb`` in order with ``quick=False`` (papermill), one after the
other in a fresh cache of the kit's own (the judge is trained by the first notebook that needs
it, as on a user's first run), and writes ``benchmarks/results/notebook_times.json``:
``notebooks: {name: wall_s}``, the total, the slowest cells of each notebook, machine,
versions and date; the file is written after every notebook, with ``complete: false`` until
the last one has run. The notebook headers and the README quote these figures.

    python benchmarks/notebook_times.py            # every notebook
    python benchmarks/notebook_times.py 04 05      # only these (a partial file, marked so)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _common import environment  # noqa: E402
from _notebooks import cell_durations, execute  # noqa: E402


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help="notebook numbers to run (default: all)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "notebook_times.json")
    args = parser.parse_args(argv)
    paths = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.name[:2] in set(args.only)]
        if not paths:
            parser.error(f"no notebook numbered {args.only} in {REPO / 'notebooks'}")
    os.environ.setdefault("AUDIOGAN_CACHE", tempfile.mkdtemp(prefix="notebook-times-cache-"))
    times: dict[str, float] = {}
    slowest: dict[str, dict[str, float]] = {}
    env = environment()

    def write(complete: bool) -> dict:
        # Written after every notebook, so a run cut short still says what it measured.
        result = {
            "mode": "full (quick=False)",
            "complete": complete and not args.only,
            "notebooks": times,
            "total_s": round(sum(times.values()), 1),
            "slowest_cells_s": slowest,
            **env,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")
        return result

    with tempfile.TemporaryDirectory(prefix="notebook-times-") as scratch:
        for path in paths:
            print(f"{path.name}: running in full mode ...", flush=True)
            start = time.perf_counter()
            executed, errors = execute(path, Path(scratch) / path.name, {"quick": False})
            wall = time.perf_counter() - start
            if errors:
                raise SystemExit(f"{path.name} failed in full mode: {errors[0].get('evalue')}")
            times[path.stem] = round(wall, 1)
            cells = cell_durations(executed)
            slowest[path.stem] = dict(sorted(cells.items(), key=lambda kv: -kv[1])[:3])
            write(complete=False)
            print(f"{path.name}: {wall / 60:.1f} min", flush=True)
    result = write(complete=True)
    print(f"total {result['total_s'] / 60:.1f} min -> {args.out}")
    return result


if __name__ == "__main__":
    main()
