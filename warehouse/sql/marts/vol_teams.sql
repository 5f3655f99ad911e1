-- 志愿服务队伍: one row per team with its volunteers, active volunteers (their team held an activity
-- in the 90 days to the data date, meta.data_date) and days since the team's last held activity.
with teams as (
    select team_id, team_name, team_type, street_code, county_code
    from stg_volunteer_teams
    qualify row_number() over (partition by team_id order by period_end desc) = 1
),

as_of as (
    select max(data_date) as as_of_date from meta
),

held as (
    select team_id, max(activity_date) as last_activity_date
    from stg_activities, as_of
    where status = '已开展' and activity_date <= as_of_date
    group by team_id
),

roster as (
    select *
    from stg_volunteers
    where period = (select max(period) from stg_volunteers)
),

volunteers as (
    select
        team_id,
        count(*) as volunteers,
        count(*) filter (where is_agent_parent) as agent_parents
    from roster
    group by team_id
),

final as (
    select
        t.team_id,
        t.team_name,
        t.team_type,
        t.county_code,
        t.street_code,
        a.as_of_date,
        h.last_activity_date,
        (a.as_of_date - h.last_activity_date)::integer as days_since_activity,
        coalesce(h.last_activity_date > a.as_of_date - 90, false) as is_active,
        coalesce(v.volunteers, 0::bigint) as volunteers,
        coalesce(v.agent_parents, 0::bigint) as agent_parents,
        case when coalesce(h.last_activity_date > a.as_of_date - 90, false)
            then coalesce(v.volunteers, 0) else 0::bigint end as active_volunteers
    from teams t
    cross join as_of a
    left join held h using (team_id)
    left join volunteers v using (team_id)
)

select * from final
