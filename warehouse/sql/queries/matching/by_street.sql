-- Match rates per street, for one check or (check_code null) all; area is the street's cube key, or its
-- county's unknown street (<county>---) for rows without a street.
select m.check_code, m.check_label, m.county_code, m.street_code, r.region_name as street_name,
       sum(children)::bigint as children, sum(matched)::bigint as matched,
       sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate,
       coalesce(left(m.street_code, 9), left(m.county_code, 6) || '---') as area
from match_rates m
left join regions r on r.region_code = m.street_code
where ($check_code is null or m.check_code = $check_code) and in_scope(m.street_code, $scope)
group by all
order by min(m.check_order), m.street_code
