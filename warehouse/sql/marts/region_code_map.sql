-- Old division code → its current code, chains of changes followed (A→B then B→C gives A→C), so that marts
-- group an older period's rows under the code in use today (撤县设区, streets merged or renamed).
-- A code split into several has no single current code: is_split, with its successors listed. The streets and
-- communities of a county or street renumbered one to one follow it (the lists name the county only; NBS keeps
-- the rest of the code), where the region table holds the code so made: is_derived.
with recursive edges as (
    select distinct old_code, new_code
    from stg_region_changes
    where new_code is not null and new_code <> old_code
),

walk as (
    select old_code as start_code, new_code as code, [old_code, new_code] as path
    from edges
    union all
    select w.start_code, e.new_code, list_append(w.path, e.new_code)
    from walk w
    join edges e on e.old_code = w.code
    where not list_contains(w.path, e.new_code)  -- a cycle (A→B→A) leads nowhere
),

ends as (
    select distinct start_code, code
    from walk w
    where not exists (select 1 from edges e where e.old_code = w.code)
),

listed as (
    select start_code as old_code, list(code order by code) as codes
    from ends
    group by start_code
),

-- A county (6 digits) or street (9 digits) with one successor of its own level, not merged with another.
renumbered as (
    select old_code, codes[1] as new_code,
        case when substr(old_code, 7) = '000000' and substr(old_code, 5, 2) <> '00' then 6 else 9 end as digits
    from listed
    where len(codes) = 1
      and codes[1] not in (select codes[1] from listed where len(codes) = 1 group by all having count(*) > 1)
      and ((substr(old_code, 7) = '000000' and substr(old_code, 5, 2) <> '00' and substr(codes[1], 7) = '000000'
            and substr(codes[1], 5, 2) <> '00')
        or (substr(old_code, 10) = '000' and substr(old_code, 7, 3) <> '000' and substr(codes[1], 10) = '000'
            and substr(codes[1], 7, 3) <> '000'))
),

derived as (
    select distinct
        r.region_code as old_code,
        n.old_code as renumbered_code,
        [substr(n.new_code, 1, n.digits) || substr(r.region_code, n.digits + 1)] as codes
    from stg_regions r
    join renumbered n on starts_with(r.region_code, substr(n.old_code, 1, n.digits)) and r.region_code <> n.old_code
    where r.region_code not in (select old_code from listed)
      and substr(n.new_code, 1, n.digits) || substr(r.region_code, n.digits + 1) in (select region_code from stg_regions)
    -- under a renumbered street of a renumbered county, the street's own renumbering wins
    qualify row_number() over (partition by r.region_code order by n.digits desc) = 1
),

successors as (
    select old_code, old_code as change_code, codes, false as is_derived from listed
    union all
    select old_code, renumbered_code, codes, true from derived
),

latest_change as (
    select old_code, old_name, effective_date, change_type
    from stg_region_changes
    qualify row_number() over (partition by old_code order by effective_date desc nulls last, period desc) = 1
),

names as (
    select region_code, region_name
    from stg_regions
    qualify row_number() over (partition by region_code order by period desc) = 1
),

new_names as (
    select new_code, new_name
    from stg_region_changes
    where new_name is not null
    qualify row_number() over (partition by new_code order by period desc) = 1
),

final as (
    select
        s.old_code,
        coalesce(case when not s.is_derived then c.old_name end, o.region_name) as old_name,
        case when len(s.codes) = 1 then s.codes[1] end as current_code,
        case when len(s.codes) = 1 then coalesce(n.region_name, nn.new_name) end as current_name,
        array_to_string(s.codes, '、') as successor_codes,
        len(s.codes) as n_successors,
        len(s.codes) > 1 as is_split,
        s.is_derived,
        c.effective_date,
        c.change_type
    from successors s
    left join latest_change c on c.old_code = s.change_code
    left join names o on o.region_code = s.old_code
    left join names n on len(s.codes) = 1 and n.region_code = s.codes[1]
    left join new_names nn on len(s.codes) = 1 and nn.new_code = s.codes[1]
)

select * from final
