-- Communities of the scope by key children against activities held in the 12 months to the data date: activities
-- held in the community, and anywhere in its street (a sheet naming only the street counts there); most key
-- children per community activity first. key_period and area are the key-children cube's cell of
-- key_children and paired (a row without a community counts under its street's unknown community).
with x as (
    select area_code, street_code, sum(activities::double)::bigint as activities
    from vol_activities
    where status = '已开展' and period_end > (select max(data_date) from meta) - 365
      and period_end <= last_day((select max(data_date) from meta))
    group by all
),
cm as (select area_code, sum(activities::double)::bigint as activities from x group by area_code),
st as (select street_code, sum(activities::double)::bigint as activities from x group by street_code)
select c.community_code, r.region_name as community_name, s.region_name as street_name,
       c.key_children::bigint as key_children, c.paired::bigint as paired,
       coalesce(cm.activities, 0)::bigint as activities,
       coalesce(st.activities, 0)::bigint as street_activities,
       (select max_by(period, period_end) from key_children_by_risk) as key_period,
       coalesce(c.community_code, left(c.street_code, 9) || '-') as area
from vol_pairing_coverage c
left join regions r on r.region_code = c.community_code
left join regions s on s.region_code = c.street_code
left join cm on cm.area_code = c.community_code
left join st on st.street_code = c.street_code
where in_scope(c.street_code, $scope)
order by c.key_children::double / greatest(coalesce(cm.activities, 0), 1) desc, c.community_code
