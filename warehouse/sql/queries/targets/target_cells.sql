-- Every figure in people the targets page can show, for the whole published area (the cells of
-- targets.TARGETS_CUBE): per plan × measure × indicator × value period × measure ('value' of a reported
-- indicator in 人/名, 'numerator' and 'denominator' of a computed one) × area (county → city → province →
-- everything). The city's figure of a period is the sum of its counties' (how the page computes it); figures
-- with no county sit in a remainder '~' under everything, so that everything − the provinces reveals nothing
-- either. The value period is a reported figure's reporting period, a computed one's date (as in
-- indicator_by_county.sql and the overall values of indicator_series.sql / status_rows.sql).
with figures as (
    select a.plan_id, a.measure_no, a.indicator,
           case a.kind when 'computed' then strftime(a.value_date, '%Y-%m-%d') else coalesce(a.period, '?') end
               as value_period,
           coalesce(left(a.county_code, 6), '~') as county,
           -- a rate or a count of places is no count of people: only 人/名 are cells (targets.PEOPLE_UNITS)
           case when a.kind = 'reported' and i.unit in ('人', '名') then a.value end as "value",
           a.numerator::double as numerator, a.denominator::double as denominator
    from plan_actuals a join plan_indicators i using (plan_id, measure_no, indicator)
),
c as (
    select plan_id, measure_no, indicator, value_period, measure, county, sum(n) as n
    from figures unpivot (n for measure in ("value", numerator, denominator))
    where n is not null
    group by all
),
k as (select * from c where county <> '~')
select plan_id, measure_no, indicator, value_period, measure, county as area,
       case when county = '~' then '' else left(county, 4) end as parent,
       case when county = '~' then 1 else 3 end as depth, n
from c
union all
select plan_id, measure_no, indicator, value_period, measure, left(county, 4), left(county, 2), 2, sum(n)
from k group by all
union all
select plan_id, measure_no, indicator, value_period, measure, left(county, 2), '', 1, sum(n) from k group by all
union all
select plan_id, measure_no, indicator, value_period, measure, '', null, 0, sum(n) from c group by all
