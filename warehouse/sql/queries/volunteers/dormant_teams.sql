-- Teams of the scope with no activity held in the $days days to the data date (or never), the longest idle first.
select t.team_id, t.team_name, t.team_type, r.region_name as street_name, t.volunteers,
       t.last_activity_date, t.days_since_activity
from vol_teams t
left join regions r on r.region_code = t.street_code
where (t.last_activity_date is null or t.days_since_activity >= $days) and in_scope(t.street_code, $scope)
order by t.days_since_activity desc nulls first, t.team_id
