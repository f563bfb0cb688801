"""Time and memory of the pipeline against a bare pdfplumber pass over the same PDF, in one run.

Usage: python bench/bench.py PDF [--repeat N]

The baseline opens the PDF with pdfplumber and reads every page's chars, lines and rects,
closing each page after reading it: the least any pdfplumber-based extraction must do. Both
sides run alternately in the same process (and again as whole commands in fresh
interpreters), and the report gives medians and ratios. bench/long.py times the whole
commands alone, on a long document too, with one worker and with two.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pdfplumber

from pipeline.extract import extract
from pipeline.normalize import normalize
from pipeline.repair import repair
from pipeline.tables import tables
from pipeline.write import write

BASELINE_CODE = (
    "import sys, pdfplumber\n"
    "with pdfplumber.open(sys.argv[1]) as pdf:\n"
    "    for page in pdf.pages:\n"
    "        page.chars, page.lines, page.rects\n"
    "        page.close()\n"
)


def baseline(pdf: Path, out: Path) -> None:
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            _ = page.chars, page.lines, page.rects
            page.close()


def pipeline_run(pdf: Path, out: Path) -> None:
    write(tables([normalize(repair(extract(pdf)))]), out)


def _seconds(fn, pdf: Path, out: Path) -> float:
    gc.collect()
    start = time.perf_counter()
    fn(pdf, out)
    return time.perf_counter() - start


def _peak_bytes(fn, pdf: Path, out: Path) -> int:
    gc.collect()
    tracemalloc.start()
    fn(pdf, out)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _command_seconds(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        pipeline_run(args.pdf, out)  # warm imports and caches for both sides
        times: dict[str, list[float]] = {"baseline": [], "pipeline": []}
        for _ in range(args.repeat):
            times["baseline"].append(_seconds(baseline, args.pdf, out))
            times["pipeline"].append(_seconds(pipeline_run, args.pdf, out))
        peaks = {
            "baseline": _peak_bytes(baseline, args.pdf, out),
            "pipeline": _peak_bytes(pipeline_run, args.pdf, out),
        }
        commands = {
            "baseline": [sys.executable, "-c", BASELINE_CODE, str(args.pdf)],
            "pipeline": [
                sys.executable,
                "-m",
                "pipeline",
                "-q",
                "run",
                "--pdf",
                str(args.pdf),
                "--out",
                tmp,
            ],
        }
        wall: dict[str, list[float]] = {"baseline": [], "pipeline": []}
        for _ in range(max(3, args.repeat // 2)):
            for name, command in commands.items():
                wall[name].append(_command_seconds(command))
    med = {k: statistics.median(v) for k, v in times.items()}
    cmd = {k: statistics.median(v) for k, v in wall.items()}
    print(f"PDF: {args.pdf} ({args.pdf.stat().st_size:,} bytes), median of {args.repeat} runs")
    print(f"{'':28}{'baseline':>12}{'pipeline':>12}{'ratio':>8}")
    mib = {k: v / 2**20 for k, v in peaks.items()}
    for label, values, unit in (
        ("in-process time (s)", med, ".3f"),
        ("whole command time (s)", cmd, ".3f"),
        ("peak Python memory (MiB)", mib, ".1f"),
    ):
        base, ours = values["baseline"], values["pipeline"]
        print(f"{label:28}{base:12{unit}}{ours:12{unit}}{ours / base:8.2f}")


if __name__ == "__main__":
    main()
