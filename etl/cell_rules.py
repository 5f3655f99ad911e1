"""What a cell of each contract type must be, as DuckDB SQL: how text is cleaned and typed (dates in the forms
offices write them, codes folded from full width, 是/否, enumerations with their aliases, ID numbers) and the
checks, with their Chinese messages, each type and contract setting imposes on one row. etl/validate.py runs
them over a whole file at once."""
from __future__ import annotations

import re
from datetime import date

from . import deployment
from .contracts import Column, Source
from .read import Extract

FULL = "０１２３４５６７８９ＸｘＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＹＺ．－／，"
HALF = "0123456789XxABCDEFGHIJKLMNOPQRSTUVWYZ.-/,"
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SQL_TYPES = {"text": "VARCHAR", "code": "VARCHAR", "id_card": "VARCHAR", "division": "VARCHAR",
             "division_name": "VARCHAR", "date": "DATE", "int": "BIGINT", "float": "DOUBLE",
             "enum": "VARCHAR", "bool": "BOOLEAN"}
TRUE_WORDS = ("是", "有", "y", "yes", "true", "1", "√", "已签订", "已享受")
FALSE_WORDS = ("否", "无", "n", "no", "false", "0", "×", "未签订", "未享受")
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"  # invisible characters pasted from web pages and Word
MAX_TEXT_CHARS = 10_000  # a longer text cell is junk (a whole document pasted into one cell)
LEVEL_ZH = {**deployment.LEVEL_ZH, "any": "区划"}


def sql_literal(text: str) -> str:
    """A string literal, for the contracts' own constants (labels, enumeration values); never file text."""
    return "'" + str(text).replace("'", "''") + "'"


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sql_ident(name: str) -> str:
    """A column name for SQL: only generated or contract names (c0, v_child_name), never a file's header."""
    if not _PLAIN.fullmatch(name):
        raise ValueError(f"not a generated column name: {name!r}")
    return name


def _ascii_space(x: str) -> str:
    """Whether x holds an ASCII whitespace character (RE2's \\s: [\\t\\n\\f\\r ]), without a regexp."""
    return "(" + " or ".join(f"contains({x}, {c})" for c in ("' '", "chr(9)", "chr(10)", "chr(12)", "chr(13)")) + ")"


def clean_sql(h: str, squash: bool, keep_space: bool = False) -> str:
    """Trimmed text, full-width folded for code-like columns; NULL when blank.

    keep_space (dates): runs of spaces become one space instead of none ("2026-03-04 00:00:00").
    The regexp work runs only on cells that need it (speed: nearly every cell is plain). Same result
    as always running it: translate() is the identity on ASCII text and regexp_replace on text
    without whitespace; a code-like cell takes the fast path only if it is ASCII (byte length =
    character length) with no ASCII whitespace — a test several times cheaper than a regexp.
    """
    x = f"trim({sql_ident(h)})"
    ws = f"[\\s\u3000\u00a0{ZERO_WIDTH}]"
    if squash:
        slow = f"regexp_replace(translate({x}, {sql_literal(FULL)}, {sql_literal(HALF)}), '{ws}+', {sql_literal(' ' if keep_space else '')}, 'g')"
        slow = f"trim({slow})" if keep_space else slow
        x = f"case when strlen({x}) = length({x}) and not {_ascii_space(x)} then {x} else {slow} end"
    else:
        x = f"case when regexp_matches({x}, '{ws}') then trim(regexp_replace({x}, '{ws}+', ' ', 'g')) else {x} end"
    return f"nullif({x}, '')"


def _date_sql(x: str) -> str:
    """Parse the date forms offices use; a cheap regexp picks the one format to try for each cell."""
    forms = (
        (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}", "%Y-%m-%d"),
        (r"[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}", "%Y/%m/%d"),
        (r"[0-9]{4}\.[0-9]{1,2}\.[0-9]{1,2}", "%Y.%m.%d"),
        (r"[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日", "%Y年%m月%d日"),
        (r"[0-9]{8}", "%Y%m%d"),
        (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2} [0-9:]+", "%Y-%m-%d %H:%M:%S"),
    )
    whens = " ".join(f"when regexp_full_match({x}, {sql_literal(r)}) then try_strptime({x}, {sql_literal(f)})::date" for r, f in forms)
    # A date with a time of day, as spreadsheets export it: "2026-03-04 00:00:00", "2026/3/4 8:30".
    clock = r" [0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    whens += "".join(f" when regexp_full_match({x}, {sql_literal(r + clock)}) then try_strptime(split_part({x}, ' ', 1), {sql_literal(f)})::date"
                     for r, f in forms[:3])
    serial = (f"when regexp_full_match({x}, '[0-9]{{5}}(\\.0+)?') "
              f"then date '1899-12-30' + cast(cast({x} as double) as integer)")
    return f"case {whens} {serial} end"


def _enum_sql(x: str, col: Column) -> str:
    pairs = {v: v for v in col.values} | col.value_aliases
    whens = " ".join(f"when {sql_literal(k)} then {sql_literal(v)}" for k, v in pairs.items())
    return f"case {x} {whens} end"


def _bool_sql(x: str) -> str:
    # A simple CASE: `IN (...)` lists plan as joins, ~20x slower on a million cells.
    whens = " ".join(f"when {sql_literal(w)} then true" for w in TRUE_WORDS) + " " + \
        " ".join(f"when {sql_literal(w)} then false" for w in FALSE_WORDS)
    return f"case lower({x}) {whens} end"


class RowRules:
    """What validation computes per row, collected from the contract before any SQL runs: the typed select
    items of the `typed` view and the checks (reason code, condition, Chinese message) `checked` evaluates."""

    def __init__(self, source: Source, ext: Extract, period_end: date):
        self.s, self.ext, self.pe = source, ext, period_end
        self.typed: list[str] = []  # select items of the `typed` view
        self.checks: list[tuple[str, str, str]] = []  # (code, condition, zh message expression)
        self.joins: list[str] = []  # lookup tables joined to `normalised` for the checks (registered, never spliced)
        self.joined: list[str] = []  # their columns, as select items
        self.split: set[str] = set()  # division columns an old code may name: a split code is its own reason

    def raw(self, col: Column) -> str:
        return f"r_{col.name}"

    def add(self, col: Column) -> None:
        """Select items typing `col`: v_<col> (typed value), r_<col> (cleaned text), n_<col> (a number as read)."""
        h = self.ext.sql_name(col.name)  # a generated name (c0, c1, …), never the file's header text
        if h is None:
            self.typed.append(f"null::{SQL_TYPES[col.type]} as v_{col.name}, null::varchar as r_{col.name}")
            return
        # Fold full-width characters and drop spaces in code-like columns (是/否 need neither).
        squash = col.type in ("code", "id_card", "division", "date", "int", "float")
        x = clean_sql(h, squash, keep_space=col.type == "date")
        t = col.type
        if t in ("text", "division_name"):
            v = x
        elif t in ("code", "division"):
            v = f"upper({x})"
            if t == "division":
                v = (f"case when length({v}) in (6, 9) and regexp_full_match({v}, '[0-9]+') "
                     f"then rpad({v}, 12, '0') else {v} end")
        elif t == "id_card":
            # "…0115.0" (a text export of a number column) keeps all 18 digits: drop the .0.
            v = f"case when contains({x}, '.') then regexp_replace(upper({x}), '^([0-9]{{18}})\\.0+$', '\\1') else upper({x}) end"
        elif t == "date":
            v = _date_sql(x)
        elif t in ("int", "float"):
            num = f"try_cast(replace({x}, ',', '') as double)"
            v = f"cast({num} as bigint)" if t == "int" else num
            self.typed.append(f"{num} as n_{col.name}")
        elif t == "enum":
            v = _enum_sql(f"trim({x})", col)
        elif t == "bool":
            v = _bool_sql(x)
        self.typed.append(f"{v} as v_{col.name}, {x} as r_{col.name}")

    def checks_for(self, col: Column) -> None:
        """The checks of `col`'s type and contract (required, range, enumeration, division, ID number)."""
        if col.name not in self.ext.mapping:
            return
        v, r, lab = f"v_{col.name}", f"r_{col.name}", col.label
        if col.type in ("text", "division_name"):
            self.checks.append(("CELL_TOO_LONG", f"length({r}) > {MAX_TEXT_CHARS}",
                                f"{sql_literal(f'“{lab}”内容过长（')} || length({r}) || {sql_literal(f'个字符，上限{MAX_TEXT_CHARS}），可能误粘贴了整段文字')}"))
        if col.required:
            self.checks.append(("REQUIRED_MISSING", f"{r} is null", sql_literal(f"必填项“{lab}”为空")))
        bad = f"{r} is not null and {v} is null"
        if col.type == "date":
            self.checks.append(("BAD_DATE", bad, f"{sql_literal(f'“{lab}”日期无法识别：')} || {r}"))
            self.checks.append(("BAD_DATE", f"{v} is not null and ({v} < date '1900-01-01' or {v} > date '2100-12-31')",
                                f"{sql_literal(f'“{lab}”日期不合理：')} || {r}"))
        elif col.type in ("int", "float"):
            n = f"n_{col.name}"
            self.checks.append(("BAD_NUMBER", f"{r} is not null and {n} is null",
                                f"{sql_literal(f'“{lab}”不是有效数字：')} || {r}"))
            if col.type == "int":
                self.checks.append(("BAD_NUMBER", f"{n} is not null and {n} <> floor({n})",
                                    f"{sql_literal(f'“{lab}”应为整数：')} || {r}"))
            rng = []
            if col.min is not None:
                rng.append(f"{n} < {col.min}")
            if col.max is not None:
                rng.append(f"{n} > {col.max}")
            if rng:
                self.checks.append(("OUT_OF_RANGE", f"{n} is not null and ({' or '.join(rng)})",
                                    f"{sql_literal(f'“{lab}”超出允许范围：')} || {r}"))
        elif col.type == "enum":
            allowed = "、".join(col.values)
            self.checks.append(("BAD_ENUM", bad, f"{sql_literal(f'“{lab}”的值“')} || {r} || {sql_literal(f'”不在允许范围（{allowed}）')}"))
        elif col.type == "bool":
            self.checks.append(("BAD_ENUM", bad, f"{sql_literal(f'“{lab}”应填“是”或“否”：')} || {r}"))
        elif col.type == "division":
            lvl = col.level
            g = f"region_level_{col.name}"  # the region level, joined in `checked` (_checked_table)
            cond = f"{g} is null" if lvl == "any" else f"({g} is null or {g} <> {sql_literal(lvl)})"
            if col.name in self.split:
                cond += f" and split_{col.name} is null"
            self.checks.append(("UNKNOWN_DIVISION", f"{v} is not null and {cond}",
                                f"{sql_literal(f'“{lab}”')} || {r} || {sql_literal(f'不是区划表中的{LEVEL_ZH[lvl]}代码')}"))
        elif col.type == "id_card":
            self._id_checks(col)

    def _id_checks(self, col: Column) -> None:
        """ID number checks (format, check character, birth date, Excel's lost digits), and the sex, birth date
        and age they imply."""
        v, r = f"v_{col.name}", f"r_{col.name}"
        fmt, check = "id_fmt", "id_chk"  # computed once per row in stage 1 (see id_items)
        sci = f"regexp_full_match({r}, '[0-9]+(\\.[0-9]+)?[eE]\\+?[0-9]+')"
        # Excel shows an ID typed into a number cell as 3.20412E+17 and keeps only 15 digits: the rest are
        # gone for good, so the row is rejected (never "repaired") with a reason the officer can act on.
        self.checks.append(("ID_PRECISION", f"{r} is not null and {sci}",
                            f"'身份证号“' || {r} || '”被 Excel 当作数字保存，后几位已丢失；请把该列设为文本格式后重新录入'"))
        self.checks.append(("ID_FORMAT", f"{v} is not null and not {fmt} and not {sci}",
                            f"'身份证号“' || {r} || '”格式不对（应为18位，末位可为X）'"))
        self.checks.append(("ID_CHECKSUM", f"{v} is not null and {fmt} and {check} <> substr({v}, 18, 1)",
                            f"'身份证号“' || {r} || '”校验位错误（应为' || {check} || '）'"))
        self.checks.append(("ID_BIRTH", f"{v} is not null and {fmt} and id_birth is null",
                            "'身份证号中的出生日期无效'"))
        names = {c.name for c in self.s.columns}
        if "birth_date" in names and "birth_date" in self.ext.mapping:
            self.checks.append(("BIRTH_MISMATCH", ("v_birth_date is not null and id_birth is not null "
                                                   "and v_birth_date <> id_birth"),
                                "'出生日期' || strftime(v_birth_date, '%Y-%m-%d') || '与身份证号不一致'"))
        if "sex" in names and "sex" in self.ext.mapping:
            self.checks.append(("SEX_MISMATCH", "v_sex is not null and id_sex is not null and v_sex <> id_sex",
                                "'性别“' || v_sex || '”与身份证号不一致'"))
        if self.s.max_age is not None:
            pe = f"date '{self.pe.isoformat()}'"
            birth = "coalesce(id_birth, v_birth_date)" if "birth_date" in names else "id_birth"
            age = (f"(year({pe}) - year({birth}) - case when strftime({pe}, '%m%d') < strftime({birth}, '%m%d') "
                   "then 1 else 0 end)")
            self.checks.append(("NOT_CHILD", f"{birth} is not null and {age} >= {self.s.max_age}",
                                f"'统计期末已满' || {age} || '周岁，超出本表范围（应小于{self.s.max_age}岁）'"))
            self.checks.append(("NOT_CHILD", f"{birth} is not null and {birth} > {pe}",
                                "'出生日期晚于统计期末'"))


def id_items(v: str) -> tuple[list[str], list[str]]:
    """Columns derived from the normalised ID, in two layers: birth date, sex, format flag, check character."""
    inner = [f"case when length({v}) = 18 then try_strptime(substr({v}, 7, 8), '%Y%m%d')::date end as id_birth",
             (f"case when substr({v}, 17, 1) between '0' and '9' then "  # one character: same as [0-9]
              f"case when cast(substr({v}, 17, 1) as integer) % 2 = 1 then '男' else '女' end end as id_sex"),
             f"regexp_full_match({v}, '[0-9]{{17}}[0-9X]') as id_fmt",
             f"try_cast(substr({v}, 1, 17) as bigint) as _id17"]
    # Check character by integer arithmetic on the first 17 digits (one cast instead of 17).
    calc = " + ".join(f"((_id17 // {10 ** (16 - i)}) % 10) * {w}" for i, w in enumerate(ID_WEIGHTS))
    return inner, [f"case when id_fmt then substr('{ID_CHECK}', (({calc}) % 11) + 1, 1) end as id_chk"]
