-- Match rates per department pair over the scope; pair_key and area are the cube's keys.
select department_pair, sum(children)::bigint as children, sum(matched)::bigint as matched,
       sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate,
       'pair:' || department_pair as pair_key, array_to_string($scope, '|') as area
from match_rates
where in_scope(street_code, $scope)
group by all
order by unmatched desc
