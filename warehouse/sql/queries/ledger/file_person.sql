-- One child's identity for their file (个案档案), from the person table (schema pii: name, ID number, guardian's
-- name and phone in full), with the child's latest ledger row; nothing unless that latest row lies in the
-- scope. The one read of pii: for case roles only, one child at a time, audited by the page.
with latest as (
    select * from ledger_children where person_key = $person_key order by period desc limit 1
),
person as (
    -- A snapshot built before the person table carried guardians: their name and phone read as null.
    from pii.person
    union all by name
    select null::varchar as guardian_name, null::varchar as guardian_phone
    where false
)
select p.name, p.id_number, p.sex, p.birth_date, r.region_name as street_name, l.community_code, l.director_id,
       l.risk_level, l.key_type, l.last_contact_date, l.last_home_visit_date, l.next_due_date, l.overdue_days,
       p.guardian_name, p.guardian_phone, l.guardian_relation, l.school_name
from latest l
join person p on p.person_key = l.person_key
left join regions r on r.region_code = l.street_code
where p.person_key = $person_key and in_scope(l.street_code, $scope)
