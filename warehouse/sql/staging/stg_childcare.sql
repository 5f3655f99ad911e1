-- 托育机构及托位（卫健委）: childcare institutions and places. Kind: snapshot, one quarter per period.
with source as (
    select * from raw_childcare
    where load_id in (select load_id from load_log where source = 'childcare' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        institution_id,
        institution_name,
        street_code,
        street_name,
        places,
        inclusive_places,
        enrolled,
        is_inclusive,
        registered_date,
        county_of(street_code) as county_code,
        load_id
    from source
)

select * from renamed
