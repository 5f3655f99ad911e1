-- 志愿服务活动: activities per month, street, team and activity type, with status (已开展/计划/取消).
-- area_code: the community where the sheet names one, else the street. Aggregate: no person_key. Teams are organisations, not people.
with source as (
    select * from stg_activities
),

teams as (
    select team_id, team_type, street_code as team_street_code, county_code as team_county_code
    from stg_volunteer_teams
    qualify row_number() over (partition by team_id order by period_end desc) = 1
),

renamed as (
    select
        a.period,
        a.period_end,
        coalesce(a.street_code, t.team_street_code) as street_code,
        coalesce(a.county_code, t.team_county_code) as county_code,
        coalesce(a.region_code, t.team_street_code) as area_code,
        a.team_id,
        coalesce(t.team_type, '未登记队伍') as team_type,
        a.activity_type,
        a.status,
        a.participants,
        a.person_times,
        a.volunteer_hours
    from source a
    left join teams t using (team_id)
),

final as (
    select
        period, period_end, county_code, street_code, area_code, team_id, team_type, activity_type, status,
        count(*) as activities,
        coalesce(sum(participants), 0)::bigint as participants,
        coalesce(sum(person_times), 0)::bigint as person_times,
        coalesce(sum(volunteer_hours), 0::double) as volunteer_hours
    from renamed
    where street_code is not null
    group by all
)

select * from final
