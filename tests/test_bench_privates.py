"""The bench times the pages' reads through the same public names the app uses: no private name of the project's
packages (warehouse.queries._df and the like), which may change or go without notice."""
from __future__ import annotations

from tests.test_layers import PACKAGES, ROOT, modules, private_uses

# The modules that time page queries (the landing benches time etl's own steps).
QUERY_BENCH = ("bench.queries", "bench.pages", "bench.pandas_pages", "bench.report", "bench.__main__")


def test_the_query_bench_takes_no_private_name_from_the_packages():
    found = [u for u in private_uses(modules(ROOT, (*PACKAGES, "bench"))) if u.split(":")[0] in QUERY_BENCH]
    assert not found, "private names the bench takes:\n" + "\n".join(found)
