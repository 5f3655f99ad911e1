-- Follow-up items in the scope, MASKED (list_unmatched and list_due are masked in the build: raw names and
-- ID numbers are never read here), for the queue of a case worker or a department: at most $limit rows, one
-- check or (check_code null) all, only the linkage keys in $keys when given.
select i.person_key, i.check_code, i.check_label, i.masked_name, i.masked_id, r.region_name as street_name,
       i.street_code, i.community_code, i.director_id, i.detail
from (
    select person_key, check_code, check_label, masked_name, masked_id, street_code, community_code,
           null::varchar as director_id, detail::varchar as detail, county_code
    from list_unmatched
    union all
    select person_key, 'visit_overdue', '重点儿童走访逾期', coalesce(masked_name, ''), coalesce(masked_id, ''),
           street_code, community_code, director_id, '逾期 ' || overdue_days || ' 天', county_code
    from list_due
    where is_overdue
) i
left join regions r on r.region_code = i.street_code
where ($check_code is null or i.check_code = $check_code)
  and ($keys is null or i.person_key in (select unnest($keys)))
  and in_scope(coalesce(i.street_code, i.county_code), $scope)
order by i.check_code, i.street_code, i.community_code, i.person_key
limit $limit
