-- A name for each given code: the region table's, else the change list's own (a successor the table does
-- not hold yet). Names of regions, no figures: read without a scope for codes a scoped query returned.
select code, coalesce(any_value(r.region_name), any_value(c.new_name)) as name
from (select unnest($codes::varchar[]) as code) k
left join regions r on r.region_code = k.code
left join stg_region_changes c on c.new_code = k.code
group by code
