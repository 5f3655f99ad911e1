-- Every landing attempt per department extract and period, with its rejection rate (the trend). The
-- same file may be landed under two periods, or again after its withdrawal: period and is_withdrawn
-- tell those landings apart.
-- Cadence comes from the period's form (2025-01 month, 2026Q3 quarter, 2025H1 half year, 2025 year),
-- which the contracts fix per source. Department and title are added from etl/sources/*.yaml by
-- warehouse/queries/quality.py (the contracts are not in the snapshot).
with source as (
    select * from load_log
),

renamed as (
    select
        s.source,
        case
            when regexp_full_match(s.period, '\d{4}-\d{2}') then 'month'
            when regexp_full_match(s.period, '\d{4}Q\d') then 'quarter'
            when regexp_full_match(s.period, '\d{4}H\d') then 'half_year'
            when regexp_full_match(s.period, '\d{4}') then 'year'
            else 'other'
        end as cadence,
        s.period,
        s.load_id,
        s.file_name,
        s.status,
        s.rows_read,
        s.rows_accepted,
        s.rows_rejected,
        s.landed_at,
        s.is_current,
        s.is_withdrawn,
        s.is_synthetic
    from source s
),

final as (
    select
        *,
        case
            when cadence = 'month' then strptime(period || '-01', '%Y-%m-%d')::date
            when cadence = 'quarter' then make_date(left(period, 4)::integer, (right(period, 1)::integer - 1) * 3 + 1, 1)
            when cadence = 'half_year' then make_date(left(period, 4)::integer, (right(period, 1)::integer - 1) * 6 + 1, 1)
            when cadence = 'year' then make_date(period::integer, 1, 1)
        end as period_start,
        case when rows_read > 0 then rows_rejected / rows_read::double end as rejection_rate,
        row_number() over (partition by source, period order by landed_at) as submission_no
    from renamed
)

select * from final
