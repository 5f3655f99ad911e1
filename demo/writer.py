"""Writing files the way departments do: CSV in UTF-8, UTF-8 with BOM or GB18030 (CRLF or LF), or .xlsx with
title rows; varied Chinese headers and date formats, a 序号 or 备注 column, codes or names, valid-but-messy
values (stray spaces, full-width digits, aliases, names without their suffix), blank rows at the end. The
deliberate bad rows come from demo.faults.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from demo.draw import NAD, period_zh, stream, to_day, ymd
from demo.faults import inject_bad_rows
from demo.sources import Plan
from demo.world import World
from etl.contracts import Source, get_source


@dataclass(frozen=True)
class DemoFile:
    """One generated extract."""

    source: str
    period: str
    path: Path
    rows: int = 0          # data rows written (bad rows included, title/blank rows excluded)
    bad_rows: int = 0      # rows made bad on purpose (should be rejected by validation)


_DATE_STYLES = ("iso", "slash", "cn", "compact")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_REMARKS = ["新增", "信息待核实", "电话已变更", "监护人外出务工", "已核实", "本期迁入"]


class Writer:
    """One output file: fixes its header/format choices once, then appends chunks (streaming)."""

    def __init__(self, out_dir: Path, plan: Plan, seed: int, scale: str):
        self.plan, self.seed, self.scale = plan, seed, scale
        self.src: Source = get_source(plan.source)
        self.path = out_dir / plan.filename
        self.rows = 0
        self.bad = 0
        self.bad_kinds: dict[str, int] = {}
        self.bad_rows: set[int] = set()      # this chunk's bad rows (demo.faults): cosmetics leave them alone
        self.chunk_no = 0
        rng = stream(seed, "style", plan.source, plan.period)
        self.rng_style = rng
        self.columns = self._choose_columns(rng)
        self.headers = self._choose_headers(rng)
        contract_headers = {h for c in self.src.columns for h in c.headers}
        self.seq_col = "序号" not in contract_headers and rng.random() < 0.4
        self.remark_col = "备注" not in contract_headers and rng.random() < 0.3
        xlsx = plan.fmt == "xlsx"
        r = rng.random()
        self.date_style = ("excel" if xlsx and r < 0.5 else
                           ("mixed" if r > 0.85 else _DATE_STYLES[int(rng.integers(0, 4))]))
        self.alias_rate = 0.3 if rng.random() < 0.35 else 0.0
        self.noise_rate = 0.004 if rng.random() < 0.6 else 0.0
        self.short_street = rng.random() < 0.25          # write street codes as 9 digits (valid: right-padded)
        self.strip_suffix = 0.15 if rng.random() < 0.6 else 0.0
        self.trailing_blank = int(rng.integers(0, 4))
        self.newline = "\r\n" if plan.encoding == "gb18030" or rng.random() < 0.3 else "\n"
        self.all_headers = (["序号"] if self.seq_col else []) + self.headers + (["备注"] if self.remark_col else [])
        self._wb = self._ws = None
        self._xrow = 0
        self._open()

    # -- choices
    def _choose_columns(self, rng) -> list[str]:
        cols = [c.name for c in self.src.columns]
        mode = self.plan.names
        code_cols = {c.name for c in self.src.columns if c.type == "division"}
        if mode == "name" and self.src.require_any:
            for group in self.src.require_any:
                for g in group:
                    if g in code_cols and g in cols:
                        cols.remove(g)
        if self.plan.source == "civil_register" and self.plan.period == "2025H1":
            cols.remove("single_parent")      # the first round's form had no such column
        return cols

    def _choose_headers(self, rng) -> list[str]:
        used: set[str] = set()
        # never use a header text that another column of this contract also claims
        claims: dict[str, int] = {}
        for c in self.src.columns:
            for h in set(c.headers):
                claims[h] = claims.get(h, 0) + 1
        out = []
        for name in self.columns:
            col = self.src.column(name)
            opts = [h for h in (col.label, *col.aliases) if claims.get(h, 0) == 1 and h not in used]
            if col.level == "any" and self.plan.source != "progress_reports":
                opts = opts[:1]       # "街道代码" over a column of community codes would mislead
            if not opts:
                opts = [col.label]
            h = opts[0] if (rng.random() < 0.55 or len(opts) == 1) else opts[int(rng.integers(1, len(opts)))]
            used.add(h)
            out.append(h)
        return out

    # -- output
    def _open(self):
        p = self.plan
        if p.fmt == "csv":
            ncol = len(self.all_headers)
            lines = [t + "," * (ncol - 1) for t in p.title] + [",".join(_q(h) for h in self.all_headers)]
            with open(self.path, "wb") as f:
                f.write(self._enc(self.newline.join(lines) + self.newline, first=True))
        else:
            import xlsxwriter

            big = self.scale == "province"
            wb = xlsxwriter.Workbook(str(self.path), {"constant_memory": big, "strings_to_numbers": False,
                                                      "strings_to_formulas": False, "strings_to_urls": False})
            wb.set_properties({"title": self.src.title, "author": self.src.department, "company": "示范市（示意数据）",
                               "comments": "synthetic demo data 示意数据", "created": dt.datetime(2026, 11, 5, 9, 0, 0)})
            ws = wb.add_worksheet(["Sheet1", "台账", "数据", period_zh(p.period)][p.variant % 4][:31])
            self._fmt_title = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
            self._fmt_head = wb.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7", "text_wrap": True})
            self._fmt_cell = wb.add_format({"border": 1})
            dfmt = {"iso": "yyyy-mm-dd", "slash": "yyyy/m/d", "cn": 'yyyy"年"m"月"d"日"'}
            self._fmt_date = wb.add_format({"num_format": dfmt[["iso", "slash", "cn"][p.variant % 3]]})
            ncol = len(self.all_headers)
            r = 0
            for i, t in enumerate(p.title):
                if i == 0 and ncol > 1:
                    ws.merge_range(r, 0, r, ncol - 1, t, self._fmt_title)
                else:
                    ws.write_string(r, 0, t)
                r += 1
            for c, h in enumerate(self.all_headers):
                ws.write_string(r, c, h, self._fmt_head)
                ws.set_column(c, c, max(8, min(24, 2 * len(h) + 4)))
            self._wb, self._ws, self._xrow = wb, ws, r + 1

    def _enc(self, text: str, first: bool = False) -> bytes:
        """Encode for this file; the BOM of utf-8-sig goes only at the very start."""
        enc = self.plan.encoding or "utf-8"
        return text.encode("utf-8" if enc == "utf-8-sig" and not first else enc)

    def close(self) -> DemoFile:
        p = self.plan
        ncol = len(self.all_headers)
        if p.fmt == "csv":
            if self.trailing_blank:
                with open(self.path, "ab") as f:
                    f.write(self._enc(("," * (ncol - 1) + self.newline) * self.trailing_blank))
        else:
            for _ in range(self.trailing_blank):
                for c in range(ncol):
                    self._ws.write_blank(self._xrow, c, None, self._fmt_cell)
                self._xrow += 1
            self._wb.close()
        return DemoFile(p.source, p.period, self.path, self.rows, self.bad)

    # -- one chunk
    def write(self, chunk: dict, world: World) -> None:
        """Append one chunk of canonical columns (split into slices to bound memory)."""
        n = len(next(iter(chunk.values()))) if chunk else 0
        step = 200_000
        if n <= step:
            return self._write(chunk, world)
        for a in range(0, n, step):
            self._write({k: v[a:a + step] for k, v in chunk.items()}, world)

    def _write(self, chunk: dict, world: World) -> None:
        p = self.plan
        rng = stream(self.seed, "write", p.source, p.period, world.city_code, self.chunk_no)
        self.chunk_no += 1
        n = len(next(iter(chunk.values()))) if chunk else 0
        cols = {}
        for c in self.columns:
            ctype = self.src.column(c).type
            if c not in chunk:
                cols[c] = _empty(ctype, n)
            elif ctype in ("date", "int", "float", "bool"):
                cols[c] = np.asarray(chunk[c]).copy()
            else:
                cols[c] = np.asarray(chunk[c], dtype=object).copy()
        name_rows = self._locate_by_name(cols, n, rng)
        overrides, dup_rows = inject_bad_rows(self, cols, n, name_rows, rng, world)
        self._cosmetics(cols, n, rng, name_rows, overrides)
        text = self._to_cells(cols, n, rng, overrides)
        order = np.arange(n)
        if dup_rows:
            order = list(order)
            for r in dup_rows:
                order.insert(int(rng.integers(0, len(order) + 1)), r)
            order = np.asarray(order)
        m = len(order)
        extra_front = [np.char.mod("%d", np.arange(self.rows + 1, self.rows + m + 1)).astype(object)] \
            if self.seq_col else []
        extra_back = []
        if self.remark_col:
            rem = np.full(m, "", dtype=object)
            k = rng.random(m) < 0.05
            rem[k] = np.asarray(_REMARKS, dtype=object)[rng.integers(0, len(_REMARKS), k.sum())]
            extra_back = [rem]
        out_cols = extra_front + [t[order] for t in text] + extra_back
        self.rows += m
        if p.source == "regions" and world.city_index == len(world.geo.cities) - 1:
            out_cols = [np.r_[c, [""]] for c in out_cols]
            name_i = len(extra_front) + self.columns.index("region_name")
            out_cols[name_i][-1] = "注：本表区划、名称、边界均为示意数据，非真实行政区划"
            self.count("note_row")
            self.rows += 1
        if p.source == "population":
            out_cols = [np.r_[c, [""]] for c in out_cols]
            for i, c in enumerate(self.columns):
                j = len(extra_front) + i
                if c == "street_name":
                    out_cols[j][-1] = "合计"
                elif c.startswith("residents"):
                    vals = [float(x) for x in text[i] if x not in ("", None)]
                    out_cols[j][-1] = _num_cell(sum(vals), 0, p.fmt)
            self.count("total_row")
            self.rows += 1
        if p.fmt == "csv":
            self._write_csv(out_cols)
        else:
            self._write_xlsx(out_cols)

    def count(self, kind: str, k: int = 1):
        """Count k rows made bad on purpose, by kind (for the manifest)."""
        self.bad += k
        self.bad_kinds[kind] = self.bad_kinds.get(kind, 0) + k

    def _locate_by_name(self, cols, n, rng) -> np.ndarray:
        """Rows located by name only (no code): all rows in name mode, some in mixed mode."""
        mode = self.plan.names
        name_cols = [c for c in self.columns if self.src.column(c).type == "division_name"]
        if not name_cols or mode == "code" or not self.src.require_any:
            return np.zeros(n, bool)
        if mode == "name":
            return np.ones(n, bool)
        code_cols = [g for grp in self.src.require_any for g in grp if self.src.column(g).type == "division"]
        name_req = [g for grp in self.src.require_any for g in grp if self.src.column(g).type == "division_name"]
        has_name = np.ones(n, bool)
        for c in name_req:
            has_name &= cols[c] != ""
        blank = has_name & (rng.random(n) < 0.08)
        for c in code_cols:
            cols[c] = np.where(blank, "", cols[c]).astype(object)
        return blank

    # -- valid-but-messy cosmetics
    def _cosmetics(self, cols, n, rng, name_rows, overrides):
        """Valid-but-messy values: stray spaces, full-width digits, short street codes, aliases, no suffix."""
        if not n:
            return
        clean = np.ones(n, bool)
        clean[list(self.bad_rows)] = False
        for c in self.columns:
            col = self.src.column(c)
            v = cols[c]
            if col.type in ("division", "code", "id_card") and self.noise_rate:
                for r in np.flatnonzero((rng.random(n) < self.noise_rate) & clean):
                    x = v[r]
                    if not x:
                        continue
                    if col.type == "id_card" or rng.random() < 0.5:
                        v[r] = [" " + x, x + " ", x + "  "][int(rng.integers(0, 3))]
                    else:
                        v[r] = x.translate(_FULLWIDTH)
            if col.type == "division" and col.level == "street" and self.short_street:
                cols[c] = v = _map_unique(v, lambda x: x[:9] if len(x) == 12 and x.endswith("000") else x)
            if col.type == "enum" and col.value_aliases and self.alias_rate:
                hit = (rng.random(n) < self.alias_rate) & clean
                pick = rng.random(n)
                inv: dict[str, list[str]] = {}
                for a, canon in col.value_aliases.items():
                    inv.setdefault(canon, []).append(a)
                for canon, al in inv.items():
                    m = hit & (v == canon)
                    if m.any():
                        v[m] = np.asarray(al, dtype=object)[(pick[m] * len(al)).astype(int)]
            if col.type == "division_name" and self.strip_suffix:
                hit = (rng.random(n) < self.strip_suffix) & clean
                if hit.any():
                    v[hit] = _map_unique(v[hit], _strip_suffix)


    # -- typed values → cells
    def _to_cells(self, cols, n, rng, overrides) -> list[np.ndarray]:
        xlsx = self.plan.fmt == "xlsx"
        out = []
        for c in self.columns:
            col = self.src.column(c)
            v = cols[c]
            if col.type == "date":
                cell = _fmt_dates(v, self.date_style, rng, xlsx)
            elif col.type in ("int", "float"):
                nd = 0 if col.type == "int" else (6 if c in ("lon", "lat") else 2)
                cell = _fmt_numbers(v, nd, xlsx)
            elif col.type == "bool":
                cell = np.where(v == 1, "是", np.where(v == 0, "否", "")).astype(object)
            else:
                cell = np.asarray(v, dtype=object)
            out.append(cell)
        for (r, c), t in overrides.items():
            out[self.columns.index(c)][r] = t
        return out

    def _write_csv(self, out_cols):
        if not len(out_cols) or not len(out_cols[0]):
            return
        cols = []
        for c in out_cols:
            lst = [x if x.__class__ is str else str(x) for x in c.tolist()]
            joined = "\x00".join(lst)
            if "," in joined or '"' in joined or "\n" in joined:
                lst = [_q(x) for x in lst]
            cols.append(lst)
        nl = self.newline
        text = nl.join(map(",".join, zip(*cols))) + nl
        with open(self.path, "ab") as f:
            f.write(self._enc(text))

    def _write_xlsx(self, out_cols):
        ws = self._ws
        ws_s, ws_n, ws_d = ws.write_string, ws.write_number, ws.write_datetime
        dfm = self._fmt_date
        r = self._xrow
        date_t = dt.date
        for row in zip(*[list(c) for c in out_cols]):       # row by row: required by constant_memory
            for j, v in enumerate(row):
                if isinstance(v, str):
                    if v:
                        ws_s(r, j, v)
                elif v is None:
                    continue
                elif isinstance(v, date_t):
                    ws_d(r, j, v, dfm)
                else:
                    ws_n(r, j, v)
            r += 1
        self._xrow = r


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if ("," in s or '"' in s or "\n" in s) else s


def _strip_suffix(name: str) -> str:
    for suf in ("街道", "社区", "镇", "乡", "村"):
        if name.endswith(suf) and len(name) > len(suf) + 1:
            return name[: -len(suf)]
    return name


def _map_unique(v: np.ndarray, fn) -> np.ndarray:
    """Apply fn to each distinct value once (names and codes repeat a lot)."""
    v = np.asarray(v, dtype=object)
    if not len(v):
        return v
    uniq, inv = np.unique(v.astype(str), return_inverse=True)
    return np.asarray([fn(u) for u in uniq.tolist()], dtype=object)[inv]


def _empty(ctype: str, n: int):
    if ctype == "date":
        return np.full(n, NAD, dtype=np.int64)
    if ctype in ("int", "float"):
        return np.full(n, np.nan)
    if ctype == "bool":
        return np.full(n, -1, dtype=np.int8)
    return np.full(n, "", dtype=object)


_DATE_LUT: dict[str, np.ndarray] = {}
_LUT_MIN, _LUT_MAX = to_day(2000, 1, 1), to_day(2032, 12, 31)


def _date_lut(style: str) -> np.ndarray:
    if style not in _DATE_LUT:
        days = np.arange(_LUT_MIN, _LUT_MAX + 1)
        y, m, d = ymd(days)
        if style == "iso":
            f = [f"{a:04d}-{b:02d}-{c:02d}" for a, b, c in zip(y, m, d)]
        elif style == "slash":
            f = [f"{a}/{b}/{c}" for a, b, c in zip(y, m, d)]
        elif style == "cn":
            f = [f"{a}年{b}月{c}日" for a, b, c in zip(y, m, d)]
        elif style == "compact":
            f = [f"{a:04d}{b:02d}{c:02d}" for a, b, c in zip(y, m, d)]
        else:  # excel: real dates
            f = [dt.date(int(a), int(b), int(c)) for a, b, c in zip(y, m, d)]
        _DATE_LUT[style] = np.array(f + [""], dtype=object)      # last slot: missing
    return _DATE_LUT[style]


def _fmt_dates(v, style, rng, xlsx) -> np.ndarray:
    v = np.asarray(v, dtype=np.int64)
    missing = (v == NAD)
    if ((v < _LUT_MIN) & ~missing).any() or (v > _LUT_MAX).any():
        raise ValueError("date out of the demo range")
    ix = np.where(missing, _LUT_MAX - _LUT_MIN + 1, v - _LUT_MIN)
    if style == "mixed":
        which = rng.integers(0, 4, len(v))
        out = np.empty(len(v), dtype=object)
        for k, s in enumerate(_DATE_STYLES):
            m = which == k
            out[m] = _date_lut(s)[ix[m]]
        return out
    if style == "excel" and not xlsx:
        style = "iso"
    return _date_lut(style)[ix]


def _fmt_numbers(v, nd, xlsx) -> np.ndarray:
    v = np.asarray(v, dtype=float)
    miss = np.isnan(v)
    if xlsx:
        out = np.empty(len(v), dtype=object)
        vals = np.round(v, nd)
        out[:] = [int(x) if nd == 0 else float(x) for x in np.where(miss, 0, vals)]
        out[miss] = ""
        return out
    if nd == 0:
        s = np.where(miss, 0, v).astype(np.int64).astype(str).astype(object)
    else:
        s = np.array([_fmt_float(x, nd) for x in np.where(miss, 0, v)], dtype=object)
    s[miss] = ""
    return s


def _fmt_float(x: float, nd: int) -> str:
    s = f"{x:.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def _num_cell(x: float, nd: int, fmt: str):
    return (round(float(x)) if nd == 0 else x) if fmt == "xlsx" else _fmt_float(x, nd)
