-- Match rates per check and street (aggregate: no person_key). matched / children = match rate;
-- unmatched = the size of the responsible department's worklist in that street.
with source as (
    select * from match_children
),

final as (
    select
        check_code, check_order, check_label, department, department_pair, period,
        county_code, street_code,
        count(*) as children,
        count(*) filter (where is_matched) as matched,
        count(*) filter (where not is_matched) as unmatched
    from source
    group by all
)

select * from final
