-- Every cell the matching page can show, for the whole published area (the cube of matching.MATCH_CUBE):
-- per check (and per department pair, 'pair:<pair>' = the sum of its checks) × measure (children = matched
-- + unmatched) × area (street → county → city → province → everything). A row without a street counts
-- under its county's unknown street (<county>---).
with long as (
    select check_code, department_pair, measure, coalesce(left(street_code, 9), left(county_code, 6) || '---') as street, n
    from match_rates
    unpivot (n for measure in (children, matched, unmatched))
),
streets as (
    select check_code as "check", department_pair as pair, measure, street, sum(n) as n
    from long group by all
    union all
    select 'pair:' || department_pair, department_pair, measure, street, sum(n)
    from long group by all
)
select "check", pair, measure, street as area, left(street, 6) as parent, 4 as depth, n from streets
union all
select "check", pair, measure, left(street, 6), left(street, 4), 3, sum(n) from streets group by all
union all
select "check", pair, measure, left(street, 4), left(street, 2), 2, sum(n) from streets group by all
union all
select "check", pair, measure, left(street, 2), '', 1, sum(n) from streets group by all
union all
select "check", pair, measure, '', null, 0, sum(n) from streets group by all
