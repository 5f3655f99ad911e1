-- Per department extract: the latest period landed vs the latest period its cadence expects by the
-- snapshot's data date (meta.data_date; before any extract has landed there is none, and the build's
-- own day in Beijing, meta.build_date, says what is due by now), periods missing since the first
-- landing (completeness), rejection rates (latest period and overall). What is late, from whom —
-- including extracts a department has never sent (every contract is listed in `sources`).
with source as (
    select * from dq_loads where is_current and status = 'landed'
),

today as (
    select coalesce(data_date, build_date) as data_date from meta
),

months as (
    select * from (values ('month', 1), ('quarter', 3), ('half_year', 6), ('year', 12)) as t(cadence, months)
),

landed as (
    select
        source, cadence,
        min(period_start) as first_period_start,
        max(period_start) as latest_period_start,
        max_by(period, period_start) as latest_period,
        count(distinct period) as periods_landed,
        sum(rows_read) as rows_read,
        sum(rows_accepted) as rows_accepted,
        sum(rows_rejected) as rows_rejected,
        max_by(rows_rejected / nullif(rows_read, 0)::double, period_start) as latest_rejection_rate,
        max(landed_at) as last_landed_at,
        sum(case when submission_no > 1 then 1 else 0 end) as resubmissions
    from source
    group by all
),

per_source as (
    select s.source, coalesce(l.cadence, s.grain) as cadence, s.on_demand, l.* exclude (source, cadence)
    from sources s
    left join landed l on l.source = s.source
),

expected as (
    select
        p.*,
        m.months,
        t.data_date,
        -- start of the latest period that has ended by the data date
        date_trunc('month', t.data_date + 1)::date - to_months(m.months) as cur_start_raw
    from per_source p
    join months m using (cadence)
    cross join today t
),

aligned as (
    select
        *,
        -- align to the cadence's calendar (quarters from Jan/Apr/Jul/Oct, half years from Jan/Jul)
        make_date(year(cur_start_raw), ((month(cur_start_raw) - 1) // months) * months + 1, 1) as expected_period_start
    from expected
),

final as (
    select
        source, cadence,
        latest_period,
        latest_period_start,
        (latest_period_start + to_months(months) - interval 1 day)::date as latest_period_end,
        expected_period_start,
        (expected_period_start + to_months(months) - interval 1 day)::date as expected_period_end,
        greatest(date_diff('month', latest_period_start, expected_period_start) // months, 0) as periods_behind,
        -- a list sent when there is something to send (区划变更) is never late
        coalesce(latest_period_start < expected_period_start, true) and not on_demand as is_late,
        on_demand,
        coalesce(periods_landed, 0) as periods_landed,
        date_diff('month', first_period_start, greatest(expected_period_start, latest_period_start)) // months + 1
            as periods_expected,
        coalesce(rows_read, 0) as rows_read, coalesce(rows_accepted, 0) as rows_accepted,
        coalesce(rows_rejected, 0) as rows_rejected,
        rows_rejected / nullif(rows_read, 0)::double as rejection_rate,
        latest_rejection_rate,
        last_landed_at,
        coalesce(resubmissions, 0) as resubmissions,
        data_date as as_of_date
    from aligned
)

select *, periods_landed / periods_expected::double as completeness from final
