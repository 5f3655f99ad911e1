-- Visit compliance per director, community, street or county ($level) over the scope, most overdue first:
-- compliance_rate is the share of children with no visit overdue; overdue_days_max the longest wait. A director
-- is a person, not a region, so has no area name.
with areas as (
    select case $level when 'director' then l.director_id when 'community' then l.community_code
                       when 'street' then l.street_code when 'county' then l.county_code
                else error('compliance: level must be director, community, street or county / 层级无效') end
               as area_code,
           l.*
    from ledger_compliance l
    where in_scope(l.street_code, $scope)
)
select a.area_code, case when $level = 'director' then null else r.region_name end as area_name,
       sum(children)::bigint as children, sum(contact_overdue)::bigint as contact_overdue,
       sum(home_visit_overdue)::bigint as home_visit_overdue, sum(overdue)::bigint as overdue,
       sum(due_30d)::bigint as due_30d,
       sum(compliant) / sum(children)::double as compliance_rate,
       max(overdue_days_max)::bigint as overdue_days_max
from areas a
left join regions r on r.region_code = a.area_code
group by all
order by overdue desc, area_code
