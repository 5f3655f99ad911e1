-- 志愿者名册（妇联）: volunteers roster. Kind: snapshot, one month per period.
with source as (
    select * from raw_volunteers
    where load_id in (select load_id from load_log where source = 'volunteers' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        volunteer_id,
        team_id,
        volunteer_type,
        is_agent_parent,
        joined_date,
        load_id
    from source
)

select * from renamed
