-- Per team type over the scope: the team sheet's teams and volunteers, and the activities held in the year of the
-- data date (meta.data_date); a type with activities but no team registered (未登记队伍) still shows. Most
-- person-times first.
with t as (
    select team_type, count(*)::bigint as teams, sum(volunteers::double)::bigint as volunteers,
           sum(active_volunteers::double)::bigint as active_volunteers,
           sum(agent_parents::double)::bigint as agent_parents
    from vol_teams
    where in_scope(street_code, $scope)
    group by team_type
),
x as (
    select team_type, sum(activities::double)::bigint as activities, sum(person_times::double)::bigint as person_times,
           sum(volunteer_hours)::double as volunteer_hours
    from vol_activities
    where status = '已开展' and year(period_end) = year((select max(data_date) from meta))
      and in_scope(street_code, $scope)
    group by team_type
)
select team_type, coalesce(teams, 0::bigint)::bigint as teams, coalesce(volunteers, 0::bigint)::bigint as volunteers,
       coalesce(active_volunteers, 0::bigint)::bigint as active_volunteers,
       coalesce(agent_parents, 0::bigint)::bigint as agent_parents,
       coalesce(activities, 0::bigint)::bigint as activities,
       coalesce(person_times, 0::bigint)::bigint as person_times,
       coalesce(volunteer_hours, 0::double) as volunteer_hours
from t full join x using (team_type)
order by person_times desc
