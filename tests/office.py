"""Open our DOCX and XLSX files the way their users' office suites will: LibreOffice, headless.

A DOCX becomes a PDF (read back with pdftotext); an XLSX becomes UTF-8 CSV, one file per sheet (filter
options `44,34,76,1`: comma, double quote, UTF-8, from line 1, without which Chinese comes back as `???`;
then cells as shown, and -1 for every sheet). One soffice at a time on the machine (a file lock shared
by the pytest-xdist workers), each test with a profile of its own in its tmp_path. Without soffice a
test skips; in CI (CI=true) it fails.
"""

from __future__ import annotations

import csv
import fcntl
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import unavailable

CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1"
ALL_SHEETS_FILTER = CSV_FILTER + ",,0,false,true,true,false,false,-1"  # as shown, every sheet
LOCK = Path(tempfile.gettempdir()) / "deliberation-tests-soffice.lock"
PAGE_NUMBER = re.compile(r"^\s*—\s*(\d+)\s*—\s*$", re.MULTILINE)
TIMEOUT = 240  # seconds: the first start of a fresh profile is slow on a busy machine


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if not path:
        unavailable("LibreOffice (soffice) is not installed: scripts/system-packages.sh installs it")
    return path


def convert(data: bytes, name: str, target: str, tmp_path: Path) -> Path:
    """Write `data` as tmp_path/in/`name`, convert it with soffice to `target`, return the new file."""
    program = soffice()
    source_dir, out_dir = tmp_path / "in", tmp_path / "out"
    source_dir.mkdir(exist_ok=True)
    out_dir.mkdir(exist_ok=True)
    source = source_dir / name
    source.write_bytes(data)
    command = [program, "--headless", "--norestore", "--nolockcheck",
               f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
               "--convert-to", target, "--outdir", str(out_dir), str(source)]
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)  # noqa: S603
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    extension = target.split(":", 1)[0]
    made = sorted(out_dir.glob(f"{source.stem}*.{extension}"))
    assert made, f"soffice made no {extension}: {done.returncode} {done.stdout} {done.stderr}"
    return made[0]


def docx_as_pdf_text(data: bytes, tmp_path: Path) -> str:
    """The DOCX as LibreOffice lays it out, as text: pdftotext on the PDF it prints, in reading order
    (a table's cells one after another, not side by side as `-layout` would interleave wrapped ones)."""
    pdf = convert(data, "document.docx", "pdf", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if not pdftotext:
        unavailable("pdftotext (poppler-utils) is not installed")
    return subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, check=True,  # noqa: S603
                          text=True).stdout


def xlsx_sheets(data: bytes, tmp_path: Path) -> dict[str, list[list[str]]]:
    """Every sheet of the XLSX as LibreOffice Calc reads it, as CSV rows, by sheet name.

    The 12th filter option -1 writes each sheet to a file of its own, `book-<sheet name>.csv`.
    """
    from openpyxl import load_workbook

    names = load_workbook(io.BytesIO(data), read_only=True).sheetnames
    first = convert(data, "book.xlsx", ALL_SHEETS_FILTER, tmp_path)
    folder = first.parent
    sheets = {}
    for name in names:
        path = folder / f"book-{name}.csv"
        assert path.exists(), f"Calc wrote no CSV for sheet {name!r}: {sorted(p.name for p in folder.iterdir())}"
        sheets[name] = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    return sheets


def without_page_numbers(text: str) -> tuple[str, list[int]]:
    """The text without its "— 2 —" footers (a cell broken over two pages joins up again), and those numbers."""
    numbers = [int(m) for m in PAGE_NUMBER.findall(text)]
    return PAGE_NUMBER.sub("", text), numbers


def flat(text: str) -> str:
    """Text without any whitespace: a PDF's layout breaks lines and spaces table cells at will."""
    return "".join(text.split())
