-- Why rows were rejected: per extract and reason code, over the landings in force, with each reason's
-- share of that extract's rejected rows. Feeds "most common reasons" on the data-quality page.
with source as (
    select r.source, r.reason_code, r.rows_rejected
    from load_reasons r
    join load_log l on l.load_id = r.load_id and l.source = r.source
    where l.is_current
),

final as (
    select
        source,
        reason_code,
        sum(rows_rejected)::bigint as rows_rejected,
        sum(rows_rejected) / sum(sum(rows_rejected)) over (partition by source) as share,
        row_number() over (partition by source order by sum(rows_rejected) desc, reason_code) as reason_rank
    from source
    group by source, reason_code
)

select * from final
