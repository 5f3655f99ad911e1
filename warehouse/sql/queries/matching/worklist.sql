-- One check's worklist, MASKED (list_unmatched is masked in the build; raw names and ID numbers are never
-- read here): at most $limit children, by street and community.
select m.masked_name, m.masked_id, m.check_label, m.department, m.period, r.region_name as street_name,
       m.street_code, m.community_code, m.age_years, m.detail
from (
    select * from list_unmatched m
    where m.check_code = $check_code and in_scope(m.street_code, $scope)
    order by m.street_code, m.community_code, m.age_years, m.person_key
    limit $limit
) m
left join regions r on r.region_code = m.street_code
order by m.street_code, m.community_code, m.age_years, m.person_key
