-- Key children with a visit overdue or due within $days days of the data date, MASKED (张*明, 3204**********123X;
-- list_due is masked in the build: raw names, ID numbers, guardians and phones are never read here): at most
-- $limit children, the most urgent first. Urgent = risk colour first (the scheme's rank in
-- config/risk_schemes.csv: 红 → 橙 → 黄 → 绿), then most days overdue, then the earliest due date; person_key
-- only makes ties stable. person_key (a keyed hash, not an identity) is the handle for the child's file.
with due as (
    -- A snapshot built before the person table carried guardians has no masked guardian columns: blank here.
    from list_due
    union all by name
    select null::varchar as masked_name, null::varchar as masked_id, null::varchar as masked_guardian_name,
           null::varchar as masked_guardian_phone
    where false
)
select coalesce(l.masked_name, '') as masked_name, coalesce(l.masked_id, '') as masked_id,
       coalesce(l.masked_guardian_name, '') as masked_guardian_name,
       coalesce(l.masked_guardian_phone, '') as masked_guardian_phone,
       l.person_key, l.county_code, r.region_name as street_name, l.community_code, l.director_id, l.risk_level,
       l.risk_rank, l.key_type, l.last_contact_date, l.last_home_visit_date, l.next_due_date, l.overdue_days,
       l.is_overdue
from (
    select * from due l
    where (l.is_overdue or l.next_due_date <= l.as_of_date + $days) and in_scope(l.street_code, $scope)
    order by l.risk_rank nulls last, l.overdue_days desc, l.next_due_date, l.person_key
    limit $limit
) l
left join regions r on r.region_code = l.street_code
order by l.risk_rank nulls last, l.overdue_days desc, l.next_due_date, l.person_key
