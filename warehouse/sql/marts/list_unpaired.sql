-- Key children with no 1+X pairing in force (未结对重点儿童), MASKED: masked name and ID from
-- person_masked, sorted as volunteers.unpaired lists them (county, street, community, key type).
select
    c.person_key, coalesce(m.masked_name, '') as masked_name, coalesce(m.masked_id, '') as masked_id,
    c.county_code, c.street_code, c.community_code, c.key_type
from vol_children c
left join person_masked m using (person_key)
where not c.is_paired
order by c.county_code, c.street_code, c.community_code, c.key_type, c.person_key
