-- The key children's visit list (走访提醒名单), MASKED: one row per key child of the latest survey with
-- the masked name and ID (and the guardian's name and phone) from person_masked, so a page's list is a
-- read of this mart, never a join with the person table per request. Sorted by county and street (a county's rows sit together, so a scoped read
-- skips the rest), then as ledger.due_list shows them: risk colour first, then most days overdue.
select
    l.person_key,
    -- every masked column the build made (masked_name, masked_id and, where the person table carries them,
    -- masked_guardian_name 张*国 and masked_guardian_phone 139****1234); never a full value
    m.* exclude (person_key),
    l.county_code,
    l.street_code,
    l.community_code,
    l.director_id,
    l.risk_level,
    l.risk_rank,
    l.key_type,
    l.last_contact_date,
    l.last_home_visit_date,
    l.next_due_date,
    l.overdue_days,
    l.is_overdue,
    l.as_of_date
from ledger_children l
left join person_masked m using (person_key)
order by l.county_code, l.street_code, l.risk_rank nulls last, l.overdue_days desc, l.next_due_date, l.person_key
