-- Match rate per check over the scope; area is the scope's own cube key (its prefixes joined by |).
select check_code, check_label, department, department_pair, period,
       sum(children)::bigint as children, sum(matched)::bigint as matched,
       sum(unmatched)::bigint as unmatched, sum(matched) / sum(children)::double as match_rate,
       array_to_string($scope, '|') as area
from match_rates
where in_scope(street_code, $scope)
group by all
order by min(check_order)
