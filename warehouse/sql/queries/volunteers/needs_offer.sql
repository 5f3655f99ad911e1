-- Needs recorded in visits against activities held, per service type over the scope (12 months to the data date,
-- as vol_needs has them): each side's share of its total, and gap = need_share − offer_share (positive: more
-- need than offer); the largest gap first.
with s as (
    select service_type, sum(needs::double)::bigint as needs, sum(activities::double)::bigint as activities,
           sum(person_times::double)::bigint as person_times
    from vol_needs
    where in_scope(street_code, $scope)
    group by service_type
)
select *, needs / nullif(sum(needs) over (), 0::double)::double as need_share,
       activities / nullif(sum(activities) over (), 0::double)::double as offer_share,
       coalesce(needs / nullif(sum(needs) over (), 0::double)::double, 0)
         - coalesce(activities / nullif(sum(activities) over (), 0::double)::double, 0) as gap
from s
order by gap desc, service_type
