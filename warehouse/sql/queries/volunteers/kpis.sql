-- The volunteers page's cards over the scope, for the year of the data date (meta.data_date, not the clock):
-- activities from January to the data date's month, teams and volunteers as the team sheet has them, and the
-- pairing of key children. Each part is one row whatever the scope holds (an aggregate without groups, zeros
-- where nothing), so their cross join is one row; the empty scope gets none (default deny). key_period and
-- area are the key-children cube's cell of key_children and paired (the overview shows the same figures).
with a as (
    select max(data_date) as as_of_date, year(max(data_date)) as year from meta
),
act as (
    select coalesce(sum(held), 0)::bigint as activities, coalesce(sum(planned), 0)::bigint as planned,
           coalesce(sum(cancelled), 0)::bigint as cancelled, coalesce(sum(participants), 0)::bigint as participants,
           coalesce(sum(person_times), 0)::bigint as person_times,
           coalesce(sum(volunteer_hours), 0::double)::double as volunteer_hours
    from vol_activity_months m, a
    where year(m.period_end) = a.year and m.period_end <= last_day(a.as_of_date)
      and in_scope(m.street_code, $scope)
),
t as (
    select count(*)::bigint as teams, count(*) filter (where not is_active)::bigint as dormant_teams,
           coalesce(sum(volunteers::double), 0)::bigint as volunteers,
           coalesce(sum(active_volunteers::double), 0)::bigint as active_volunteers,
           coalesce(sum(agent_parents::double), 0)::bigint as agent_parents
    from vol_teams
    where in_scope(street_code, $scope)
),
p as (
    select coalesce(sum(key_children::double), 0)::bigint as key_children,
           coalesce(sum(paired::double), 0)::bigint as paired
    from vol_pairing_coverage
    where in_scope(street_code, $scope)
)
select a.as_of_date, a.year, act.*, t.*, p.*,
       p.paired / nullif(p.key_children, 0::double)::double as pairing_coverage,
       (select max_by(period, period_end) from key_children_by_risk) as key_period,
       array_to_string($scope, '|') as area
from a, act, t, p
where len($scope) > 0
