-- Every follow-up item (督办事项) in the scope by its keys alone — no name, not even masked: the children a
-- matching check did not match (list_unmatched) and the key children whose visit is overdue (list_due,
-- check visit_overdue, worked by 民政局's children's directors). The follow-up events are folded over these
-- rows on the server; period is the listing's data period (a worklist's extract period, the ledger's data
-- date for a visit), which the rule for 复发 compares.
select i.person_key, i.check_code, i.department, i.period, i.county_code, i.street_code
from (
    select person_key, check_code, department, period, county_code, street_code
    from list_unmatched
    union all
    select person_key, 'visit_overdue', '民政局', strftime(as_of_date, '%Y-%m-%d'), county_code, street_code
    from list_due
    where is_overdue
) i
where in_scope(coalesce(i.street_code, i.county_code), $scope)
order by i.check_code, i.street_code, i.person_key
