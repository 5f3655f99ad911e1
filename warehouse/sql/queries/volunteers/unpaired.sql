-- Key children of the scope with no active 1+X pairing, MASKED (list_unpaired is masked in the build; raw names
-- and ID numbers are never read here): at most $limit children, by county, street, community and key type.
select c.masked_name, c.masked_id, co.region_name as county_name, s.region_name as street_name,
       cm.region_name as community_name, c.key_type
from (
    select * from list_unpaired c
    where in_scope(c.street_code, $scope)
    order by c.county_code, c.street_code, c.community_code, c.key_type, c.person_key
    limit $limit
) c
left join regions co on co.region_code = c.county_code
left join regions s on s.region_code = c.street_code
left join regions cm on cm.region_code = c.community_code
order by c.county_code, c.street_code, c.community_code, c.key_type, c.person_key
