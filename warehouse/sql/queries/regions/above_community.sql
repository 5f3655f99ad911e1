-- The regions above community level, by code: the deployment's root is the configured region or the top level
-- present among them. Names of regions, not figures, so no scope: every signed-in user sees what the deployment
-- is called.
select region_code, region_name, level
from regions
where level in ('province', 'city', 'county', 'street')
order by region_code
