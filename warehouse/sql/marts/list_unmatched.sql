-- The matching worklists (比对工作清单), MASKED: children a check did not match in the other department's
-- register, with the masked name and ID from person_masked. Sorted as matching.worklist lists them
-- (check, street, community, age), so one check in one county is a read of adjacent rows.
select
    c.check_code, c.check_label, c.department, c.period, c.person_key,
    coalesce(m.masked_name, '') as masked_name, coalesce(m.masked_id, '') as masked_id,
    c.county_code, c.street_code, c.community_code, c.age_years, c.detail
from match_children c
left join person_masked m using (person_key)
where not c.is_matched
order by c.check_code, c.street_code, c.community_code, c.age_years, c.person_key
