-- 志愿服务 per month and street: activities held (已开展), planned (计划) and cancelled (取消), and the participants,
-- person-times and volunteer hours of the activities held. The one place that says which status counts as
-- what: the volunteers page's monthly trend, its cards for the year to date and the meeting pack all sum
-- this mart, so they cannot disagree. Aggregate: no person_key.
with source as (
    select * from vol_activities
),

final as (
    select
        period,
        period_end,
        county_code,
        street_code,
        coalesce(sum(activities) filter (where status = '已开展'), 0)::bigint as held,
        coalesce(sum(activities) filter (where status = '计划'), 0)::bigint as planned,
        coalesce(sum(activities) filter (where status = '取消'), 0)::bigint as cancelled,
        coalesce(sum(participants) filter (where status = '已开展'), 0)::bigint as participants,
        coalesce(sum(person_times) filter (where status = '已开展'), 0)::bigint as person_times,
        coalesce(sum(volunteer_hours) filter (where status = '已开展'), 0::double) as volunteer_hours
    from source
    group by all
)

select * from final
