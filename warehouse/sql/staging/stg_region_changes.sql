-- 区划变更对照表（统计局/民政局）: division code changes (old code → new code). Kind: snapshot, one year per period.
-- Every year's list counts (a change stays a change); the same pair listed again keeps its latest listing.
with source as (
    select * from raw_region_changes
    where load_id in (select load_id from load_log where source = 'region_changes' and is_current)
),

renamed as (
    select
        period,
        period_start,
        period_end,
        old_code,
        old_name,
        new_code,
        new_name,
        effective_date,
        change_type,
        load_id
    from source
),

final as (
    select *
    from renamed
    qualify row_number() over (partition by old_code, new_code order by period desc) = 1
)

select * from final
