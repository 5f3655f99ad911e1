"""The 1M-row register the landing benchmark uses, as UTF-8 CSV, GB18030 CSV and .xlsx (same rows).

Cut from the demo's monitoring register (civil_register) of a generated data set: the province
extracts if they exist, else a two-city province-shaped demo generated once (~3 min). The region
table of the same data set is landed once into a template data folder; each timed landing starts
from a fresh copy of it. Everything is cached under BENCH_DIR/register.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

ROWS = 1_000_000


def _source_set(base: Path) -> Path:
    """Extracts whose register has ≥ ROWS rows: province if there, else a 2-city demo generated here."""
    for cand in (base / "province" / "extracts", base / "register" / "gen"):
        m = cand / "manifest.json"
        if m.exists():
            files = json.loads(m.read_text(encoding="utf-8"))["files"]
            if any(f["source"] == "civil_register" and f["rows"] >= ROWS for f in files):
                return cand
    from demo import generate

    out = base / "register" / "gen"
    generate(out, scale="province", seed=7, _cities=2, _children_per_city=ROWS // 2 + 40_000)
    return out


def _cut_register(extracts: Path, dst: Path) -> None:
    """Header + the first ROWS data rows of the largest CSV register, re-encoded as plain UTF-8."""
    from etl.contracts import get_source
    from etl.read import HEADER_SCAN_ROWS, _find_header, detect_encoding, header_index

    files = json.loads((extracts / "manifest.json").read_text(encoding="utf-8"))["files"]
    regs = [f for f in files if f["source"] == "civil_register" and f["file"].endswith(".csv") and f["rows"] >= ROWS]
    f = max(regs, key=lambda f: f["rows"])
    path = extracts / f["file"]
    enc = detect_encoding(path)
    with path.open(encoding=enc, newline="") as src:
        head = [src.readline() for _ in range(HEADER_SCAN_ROWS)]
        hdr, _ = _find_header(list(csv.reader(io.StringIO("".join(head)))), header_index(get_source("civil_register")))
        tmp = dst.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8", newline="") as out:
            lines = head[hdr:]
            out.writelines(lines[: ROWS + 1])
            n = len(lines) - 1
            for line in src:
                if n >= ROWS:
                    break
                out.write(line)
                n += 1
    tmp.replace(dst)


def _to_gb18030(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".tmp")
    with src.open(encoding="utf-8", newline="") as a, tmp.open("w", encoding="gb18030", newline="") as b:
        while chunk := a.read(1 << 22):
            b.write(chunk)
    tmp.replace(dst)


def _to_xlsx(src: Path, dst: Path) -> None:
    """Every cell as text (as offices fill registers), one sheet, constant memory."""
    import xlsxwriter

    tmp = dst.with_name(dst.stem + ".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("台账")
    with src.open(encoding="utf-8", newline="") as f:
        for r, row in enumerate(csv.reader(f)):
            for c, v in enumerate(row):
                if v:
                    ws.write_string(r, c, v)
    wb.close()
    tmp.replace(dst)


def register_fixtures(base: Path) -> dict:
    """{"utf8": path, "gb18030": path, "xlsx": path, "root": template data folder, "rows": ROWS}."""
    d = base / "register"
    d.mkdir(parents=True, exist_ok=True)
    utf8, gb, xlsx, root = d / "register_1m_utf8.csv", d / "register_1m_gb18030.csv", d / "register_1m.xlsx", d / "data"
    extracts = None
    if not utf8.exists():
        extracts = _source_set(base)
        _cut_register(extracts, utf8)
    if not gb.exists():
        _to_gb18030(utf8, gb)
    if not xlsx.exists():
        _to_xlsx(utf8, xlsx)
    if not (root / "landed" / "load_log.jsonl").exists():
        from etl.land import land
        from settings import create_secret_key

        extracts = extracts or _source_set(base)
        files = json.loads((extracts / "manifest.json").read_text(encoding="utf-8"))["files"]
        reg = next(f for f in files if f["source"] == "regions")
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        create_secret_key(root)
        land("regions", extracts / reg["file"], reg["period"], root=root, synthetic=True, user="bench")
    return {"utf8": utf8, "gb18030": gb, "xlsx": xlsx, "root": root, "rows": ROWS}


def fresh_root(template: Path, dst: Path) -> Path:
    """A copy of the template data folder (regions landed, secret key) for one timed landing."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(template, dst)
    return dst


BIG_ROWS = 10_000_000


def big_register_fixture(base: Path, rows: int = BIG_ROWS) -> dict:
    """A generated register of `rows` rows (UTF-8 and GB18030 CSV, ~0.85 GB each at 10M; written in a stream,
    all rows good, distinct IDs) and a template data folder with the test region table it refers to."""
    from settings import create_secret_key
    from tests.files import write_big_register_csv, write_regions

    d = base / "register"
    d.mkdir(parents=True, exist_ok=True)
    tag = f"{rows // 1_000_000}m" if rows % 1_000_000 == 0 else str(rows)
    utf8, gb, root = d / f"register_{tag}_utf8.csv", d / f"register_{tag}_gb18030.csv", d / f"data_{tag}"
    if not utf8.exists():
        tmp = utf8.with_suffix(".tmp")
        write_big_register_csv(tmp, rows)
        tmp.replace(utf8)
    if not gb.exists():
        _to_gb18030(utf8, gb)
    if not (root / "landed" / "load_log.jsonl").exists():
        from etl.land import land

        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        create_secret_key(root)
        land("regions", write_regions(d / "test_regions.csv"), "2025", root=root, synthetic=True, user="bench")
    return {"utf8": utf8, "gb18030": gb, "root": root, "rows": rows}
