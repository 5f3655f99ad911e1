"""The same page figures computed the way a typical Streamlit dashboard does it: the staging rows
loaded once into pandas (what st.cache_data of a raw table holds), then filtered and grouped in
pandas on every page view. Compared with the page's own query through the door, same scope.

Three representative pages: overview headline, map (children per street), key children by risk.
Each check also asserts that both ways give the same figures, so the ratio compares like with like.
"""
from __future__ import annotations

import time

import pandas as pd

from bench.queries import pct
from warehouse import queries as q
from warehouse.queries import geo
from warehouse.queries import ledger as lq


def load(con) -> tuple[dict[str, pd.DataFrame], dict]:
    """Staging rows into pandas, as a dashboard would cache them; seconds and rows per table."""
    t = time.perf_counter()
    reg = con.sql("select period, county_code, street_code, age_band, category, in_difficulty "
                  "from stg_civil_register").df()
    t_reg = time.perf_counter() - t
    t = time.perf_counter()
    key = con.sql("select period, county_code, street_code, risk_level from stg_key_children").df()
    t_key = time.perf_counter() - t
    mem = (reg.memory_usage(deep=True).sum() + key.memory_usage(deep=True).sum()) / 2**20
    return {"register": reg, "key": key}, {"register_rows": len(reg), "register_load_s": t_reg,
                                           "key_rows": len(key), "key_load_s": t_key, "pandas_mb": mem}


def _in(df: pd.DataFrame, prefix: str | None) -> pd.DataFrame:
    return df if not prefix else df[df["street_code"].str.startswith(prefix)]


def pd_headline(d, period, prefix):
    r = _in(d["register"], prefix)
    k = _in(d["key"], prefix)
    return {"migrant": int(((r["period"] == period) & (r["category"] == "流动儿童")).sum()),
            "key_children": int((k["period"] == period).sum())}


def db_headline(con, scope, period):
    # The overview's two register cards as the pages read them (the map's streets, 重点儿童's risk levels);
    # meeting.headline would also time the rates and targets, which pandas does not compute here.
    streets = q.run(geo.street_metrics, con, scope, period, "all", "流动儿童")
    risk = q.run(q.key_children_by_risk, con, scope, period)
    return {"migrant": int(streets["children"].sum()), "key_children": int(risk["children"].sum())}


def pd_map(d, period, prefix):
    r = _in(d["register"], prefix)
    r = r[(r["period"] == period) & (r["category"] == "流动儿童")]
    s = r.groupby("street_code").size()
    return {"streets": int((s > 0).sum()), "children": int(s.sum())}


def db_map(con, scope, period):
    m = q.run(geo.street_metrics, con, scope, period, "all", "流动儿童")
    return {"streets": int((m["children"].fillna(0) > 0).sum()), "children": int(m["children"].fillna(0).sum())}


def pd_risk(d, prefix):
    k = _in(d["key"], prefix)
    k = k[k["period"] == k["period"].max()]
    return dict(sorted((str(a), int(b)) for a, b in k.groupby("risk_level").size().items()))


def db_risk(con, scope):
    r = q.run(lq.by_risk, con, scope)
    return dict(sorted((str(a), int(b)) for a, b in zip(r["risk_level"], r["children"]) if b))


def compare(con, county: str, reps: int = 5) -> dict:
    """p50 of each page figure both ways, county and province-wide; same-figures flag per check."""
    data, info = load(con)
    period = q.periods(con)["period"].iloc[0]
    out = {"load": info, "pages": {}}
    exact = q.Scope.everything(exact=True)  # compare raw counts (no small-number suppression)
    checks = {
        "overview headline": (lambda p: pd_headline(data, period, p), lambda s: db_headline(con, s, period)),
        "map street counts": (lambda p: pd_map(data, period, p), lambda s: db_map(con, s, period)),
        "key children by risk": (lambda p: pd_risk(data, p), lambda s: db_risk(con, s)),
    }
    for name, (pdf, dbf) in checks.items():
        for kind, code in (("province", None), ("county", county)):
            scope = exact.narrow(code)
            prefix = scope.prefixes[0]
            dbf(scope)  # warm
            a, b = [], []
            for _ in range(reps):
                t = time.perf_counter()
                rp = pdf(prefix)
                a.append(time.perf_counter() - t)
                t = time.perf_counter()
                rd = dbf(scope)
                b.append(time.perf_counter() - t)
            out["pages"].setdefault(name, {})[kind] = {
                "pandas_p50_ms": pct(a, 50), "duckdb_p50_ms": pct(b, 50), "ratio": pct(a, 50) / pct(b, 50),
                "same_figures": rp == rd, **({} if rp == rd else {"pandas": str(rp)[:200], "duckdb": str(rd)[:200]})}
    return out
