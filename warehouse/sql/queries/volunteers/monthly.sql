-- Activities and their reach per month over the scope, oldest first: the page's trend and 月度明细, and the
-- meeting pack's volunteer figures (summed over a period's months).
select period, sum(held)::bigint as held, sum(planned)::bigint as planned, sum(cancelled)::bigint as cancelled,
       sum(participants)::bigint as participants, sum(person_times)::bigint as person_times,
       sum(volunteer_hours)::double as volunteer_hours
from vol_activity_months
where in_scope(street_code, $scope)
group by period
order by period
