"""Shared helpers for the rates/ generator scripts (deterministic, stdlib + pinned packages)."""
import argparse
import sys
from pathlib import Path

# Fixed so that re-running a script gives byte-identical output.
GENERATED = "2026-11-22"
TOOLS_DIR = Path(__file__).resolve().parent
RATES_DIR = TOOLS_DIR.parent
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def parse_args(description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED,
                    help="directory holding the shared input CSVs (default: %(default)s)")
    ap.add_argument("--out-dir", type=Path, default=RATES_DIR,
                    help="directory to write the output file into (default: rates/)")
    return ap.parse_args()


def warn(msg):
    print(msg, file=sys.stderr)


def write_lines(path, comment_lines, rows, header):
    """Write '# ' comment lines, then a CSV header and rows, LF line endings, UTF-8."""
    import csv
    import io
    buf = io.StringIO()
    for line in comment_lines:
        buf.write(("# " + line).rstrip() + "\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(r)
    data = buf.getvalue()
    path.write_text(data, encoding="utf-8", newline="")
    return len(data.encode("utf-8"))
