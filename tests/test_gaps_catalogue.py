"""服务缺口 reads through the query catalogue (that no module but catalogue.py runs SQL is test_catalogue's): every
query keeps its public name and call, a level other than county or street is an error rather than an empty table,
and the three reads that are configuration (standards, source periods) or a yes/no (has_urban_core) still see
nothing for the empty scope."""
from __future__ import annotations

import pytest

from warehouse import queries as q
from warehouse.queries import catalogue, gaps

EVERYTHING = q.Scope.everything()


def test_each_page_query_is_its_catalogue_entry():
    for name in ("gap_table", "index_table", "gaps_of_area", "measures", "urban_core_comparison"):
        entry = getattr(gaps, name)
        assert isinstance(entry, catalogue.Query) and entry.name == f"gaps/{name}", name


@pytest.mark.parametrize("query, args", [(gaps.gap_table, ("childcare_places", "streets")),
                                         (gaps.index_table, ("District",)), (gaps.gaps_of_area, ("city",)),
                                         (gaps.measures, ("",))])
def test_an_unknown_level_is_an_error_not_an_empty_table(con, query, args):
    latest = str(q.periods(con)["period"].iloc[0])
    with pytest.raises(Exception, match="level must be 'county' or 'street'"):
        query(con, EVERYTHING, latest, *args)


def test_configuration_reads_see_nothing_for_the_empty_scope_and_the_same_for_any_other(con):
    latest = str(q.periods(con)["period"].iloc[0])
    county = q.Scope.of(str(q.counties(con, EVERYTHING)["county_code"].iloc[0]))
    assert gaps.standards(con, q.Scope()).empty and gaps.source_periods(con, q.Scope(), latest).empty
    assert gaps.standards(con, county).equals(gaps.standards(con, EVERYTHING))
    assert len(gaps.standards(con, EVERYTHING)) and len(gaps.source_periods(con, county, latest))
    # Through the door too, as the page calls them: configuration carries no counts to mark.
    assert q.run(gaps.standards, con, county).equals(gaps.standards(con, county))


def test_has_urban_core_needs_both_kinds_of_county_in_scope(con):
    counties = q.counties(con, EVERYTHING)
    assert counties["is_urban_core"].nunique() == 2  # the fixture city has both
    assert gaps.has_urban_core(con, EVERYTHING)
    one = q.Scope.of(str(counties["county_code"].iloc[0]))
    assert not gaps.has_urban_core(con, one)
    assert not gaps.has_urban_core(con, q.Scope())
