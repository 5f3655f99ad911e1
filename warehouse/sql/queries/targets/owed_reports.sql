-- The progress reports owed by $today and not sent, per county of the scope, with the county's name and the
-- indicator's departments (the by-department view). A reported indicator owes one report per listed county per
-- reporting period (its cadence: 月, 季度, 半年, else 年) from the year of its reporting start to its deadline,
-- due $grace days after the period ends; a report dated in the period or within the grace days after it
-- counts. The same owed reports as status_rows.sql's missing_reports: change both together.
with owed_ind as (
    select plan_id, measure_no, indicator, reporting_start, deadline,
           case cadence when '月' then 1 when '季度' then 3 when '半年' then 6 else 12 end as months
    from plan_indicators where kind = 'reported' and reporting_start is not null
),
periods as (
    select o.*, s::date as period_start, (s + to_months(o.months) - interval 1 day)::date as period_end
    from owed_ind o,
         unnest(generate_series(date_trunc('year', o.reporting_start)::timestamp,
                                $today::timestamp, to_months(o.months))) as t(s)
),
due as (
    select * from periods
    where period_end >= reporting_start and period_start <= deadline
      and period_end + to_days($grace::integer) < $today
),
counties as (select r.region_code as county_code from regions r
             where r.level = 'county' and r.is_listed and in_scope(r.region_code, $scope)),
missing as (
    select d.plan_id, d.measure_no, d.indicator, c.county_code, d.period_start, d.period_end
    from due d cross join counties c
    where not exists (
        select 1 from plan_actuals a
        where a.kind = 'reported' and a.plan_id = d.plan_id and a.measure_no = d.measure_no
          and a.indicator = d.indicator and a.county_code = c.county_code
          and a.value_date between d.period_start and d.period_end + to_days($grace::integer)
    )
)
select m.*, n.region_name as county_name, i.department, i.lead_department
from missing m
left join (select region_code, region_name from regions where level = 'county') n on n.region_code = m.county_code
join plan_indicators i using (plan_id, measure_no, indicator)
order by m.plan_id, m.measure_no, m.indicator, m.county_code, m.period_start, m.period_end
