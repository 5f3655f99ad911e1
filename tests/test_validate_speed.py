"""The speed-ups in etl/validate.py give exactly what the plain formulas give.

- person_key computed in DuckDB (HMAC-SHA256 built from sha256) equals Python's hmac, for keys of
  every length (a key longer than the SHA-256 block is hashed first, as RFC 2104 says);
- the fast paths of cell cleaning equal always running translate + regexp_replace;
- the ID check character by integer arithmetic equals the per-digit formula.
"""
from __future__ import annotations

import random

import duckdb
import pytest

from etl import cell_rules as rules
from etl import validate as v

TRICKY = ["", " ", "  a  b ", "\t440\n1\r", "４４０１０３", "ＡＢ１２", "a\u3000b", "\u00a0x\u00a0", "x\u200by",
          "\ufeff123", "2026-03-04 00:00:00", "2026/3/4  8:30", "２０２６年３月４日", "é", "\x01a", "a\x0bb",
          "99012320140719184x", "9901232014 0719 184X", "流动儿童", " 流动 儿童 ", "是\u3000", "Ｘ", "a\fb", "-1,234.5"]


def _con(values: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create table t (h varchar)")
    con.executemany("insert into t values (?)", [[x] for x in values])
    return con


@pytest.mark.parametrize("secret", [b"k", b"0123456789abcdef" * 4, b"x" * 65, "密钥".encode() * 40])
def test_person_key_in_duckdb_equals_python_hmac(secret):
    rnd = random.Random(1)
    ids = ["".join(rnd.choice("0123456789") for _ in range(17)) + rnd.choice("0123456789X") for _ in range(200)]
    con = _con(ids)
    expr, params = v.hmac_sql("h", secret)
    got = dict(con.execute(f"select h, {expr} from t", params).fetchall())
    assert got == {i: v.person_key(i, secret) for i in ids}


def _reference_clean(h: str, squash: bool, keep_space: bool) -> str:
    """The cleaning formula before the fast paths (always translate + regexp_replace)."""
    x = f"trim({rules.sql_ident(h)})"
    ws = f"[\\s\u3000\u00a0{rules.ZERO_WIDTH}]"
    if squash:
        x = f"regexp_replace(translate({x}, {rules.sql_literal(rules.FULL)}, {rules.sql_literal(rules.HALF)}), '{ws}+', {rules.sql_literal(' ' if keep_space else '')}, 'g')"
        x = f"trim({x})" if keep_space else x
    else:
        x = f"trim(regexp_replace({x}, '{ws}+', ' ', 'g'))"
    return f"nullif({x}, '')"


@pytest.mark.parametrize(("squash", "keep_space"), [(True, False), (True, True), (False, False)])
def test_fast_cleaning_equals_the_plain_formula(squash, keep_space):
    rnd = random.Random(2)
    noise = [*"0123456789abXx -./", "\t", "\n", "\r", "\f", "\u3000", "\u00a0", "\u200b", "０", "Ｘ", "．", "流"]
    values = TRICKY + ["".join(rnd.choice(noise) for _ in range(rnd.randint(0, 8))) for _ in range(500)]
    con = _con(values)
    rows = con.execute(f"select h, {rules.clean_sql('h', squash, keep_space)}, {_reference_clean('h', squash, keep_space)} "
                       "from t").fetchall()
    assert [(h, a) for h, a, _ in rows] == [(h, b) for h, _, b in rows]


def test_check_character_by_arithmetic():
    rnd = random.Random(3)
    ids = ["".join(rnd.choice("0123456789") for _ in range(17)) + "0" for _ in range(300)] + ["00000000000000000X"]
    con = _con(ids)
    inner, outer = rules.id_items("h")
    got = con.execute(f"select h, id_chk from (select *, {', '.join(outer)} from (select *, {', '.join(inner)} from t))"
                      ).fetchall()
    assert {h: c for h, c in got} == {i: v.id_check_digit(i[:17]) for i in ids}
