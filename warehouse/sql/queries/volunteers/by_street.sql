-- Per listed street of the scope: migrant children (latest register), activities held in the year of the data
-- date, and per_1000, activities per 1,000 migrant children; lowest rate first, streets without a rate (no
-- migrant children) last. period and area are the migrant count's cell of the map's cube: the same figure as
-- on the map, so the same mark.
with m as (
    select street_code, sum(children::double)::bigint as migrant
    from children_by_area
    where category = '流动儿童' and period = (select max(period) from children_by_area)
    group by street_code
),
x as (
    select street_code, sum(activities::double)::bigint as activities, sum(person_times::double)::bigint as person_times
    from vol_activities
    where status = '已开展' and year(period_end) = year((select max(data_date) from meta))
    group by street_code
)
select r.region_code as street_code, r.region_name as street_name, r.county_name,
       coalesce(m.migrant, 0::bigint)::bigint as migrant, coalesce(x.activities, 0::bigint)::bigint as activities,
       coalesce(x.person_times, 0::bigint)::bigint as person_times,
       1000.0 * coalesce(x.activities, 0) / nullif(m.migrant, 0) as per_1000,
       (select max(period) from children_by_area) as period, left(r.region_code, 9) as area
from regions r
left join m on m.street_code = r.region_code
left join x on x.street_code = r.region_code
where r.level = 'street' and r.is_listed and in_scope(r.region_code, $scope)
order by per_1000 nulls last, r.region_code
