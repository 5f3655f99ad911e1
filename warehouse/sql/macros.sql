-- Macros shared by the models; build.py runs this file before any model.
create or replace macro age_at(birth, at_date) as
    year(at_date) - year(birth)
    - case when strftime(at_date, '%m%d') < strftime(birth, '%m%d') then 1 else 0 end;

-- The age bands of the action plans: 0-3 托育, 3-6 学前, 6-12 小学, 12-16 初中; null from 16 on.
create or replace macro age_band(age) as
    case when age < 0 then null when age < 3 then '0-3' when age < 6 then '3-6'
         when age < 12 then '6-12' when age < 16 then '12-16' end;

-- 12-digit statistical division codes: county = first 6 digits, street = first 9.
create or replace macro street_of(code) as
    case when code is not null and substr(code, 10, 3) = '000' and substr(code, 7, 3) = '000' then null
         when code is not null then substr(code, 1, 9) || '000' end;
create or replace macro county_of(code) as
    case when code is not null and substr(code, 5, 2) <> '00' then substr(code, 1, 6) || '000000' end;

-- Masked identity shown on child lists (the rule of warehouse.queries.ledger.mask_name / mask_id):
-- 张小明 → 张*明, 李䶮 → 李*; 320402201503041234 → 3204**********1234; empty → ''.
create or replace macro mask_name(s) as
    case when s is null or s = '' then ''
         when length(s) <= 2 then left(s, 1) || '*'
         else left(s, 1) || repeat('*', length(s) - 2) || right(s, 1) end;
create or replace macro mask_id(s) as
    case when s is null or s = '' then ''
         when length(s) > 8 then left(s, 4) || repeat('*', length(s) - 8) || right(s, 4)
         else repeat('*', length(s)) end;
-- 13900001234 → 139****1234 (warehouse.queries.ledger.mask_phone).
create or replace macro mask_phone(s) as
    case when s is null or s = '' then ''
         when length(s) > 7 then left(s, 3) || repeat('*', length(s) - 7) || right(s, 4)
         else repeat('*', length(s)) end;

-- The rows in force of one source, as every staging model starts: its table raw_<source> holds every landing's
-- rows, load_log marks the landings in force (etl/force.py); period first, the landing last.
create or replace macro in_force(raw) as table
    select period, period_start, period_end, * exclude (period, period_start, period_end, load_id), load_id
    from query_table(raw)
    where load_id in (select load_id from load_log where 'raw_' || source = raw and is_current);

-- in_force with `today` beside each row: its division code `code` counted under today's division (区划调整:
-- marts/region_current.sql), and the street and county of that code. A code the region table does not know
-- keeps its own value. `code` is the column itself (in_force_today('raw_visits', community_code)); the map's
-- columns are renamed so that none shares a name with it.
create or replace macro in_force_today(raw, code) as table
    select s.*, {'code': coalesce(m.today_code, code), 'street': coalesce(m.today_street, street_of(code)),
                 'county': coalesce(m.today_county, county_of(code))} as today
    from in_force(raw) s
    left join (select region_code as known_code, current_code as today_code, street_code as today_street,
                      county_code as today_county from region_current) m on m.known_code = code;

-- The rows of a model's latest period: the cross-register checks compare each extract's latest (match_children).
create or replace macro latest_period(model) as table
    select * from query_table(model)
    where period = (select max_by(period, period_end) from query_table(model));

-- Each period end of `dates` (a model's) as value_date, with the rows of `model`'s latest period ending on or
-- before it: the register or ledger an indicator counts at the date of another extract.
create or replace macro latest_as_of(dates, model) as table
    with value_dates as (
        select distinct period_end as value_date from query_table(dates)
    ),
    latest as (
        select d.value_date, max(p.period_end) as latest_end
        from value_dates d
        join (select distinct period_end from query_table(model)) p on p.period_end <= d.value_date
        group by d.value_date
    )
    select l.value_date, r.* from latest l join query_table(model) r on r.period_end = l.latest_end;

-- An indicator's figures (model, county_code, value_date, numerator, denominator, value in per cent) from
-- `counted`: one row per unit counted (unit: a child's person_key, a community's code), its county and date,
-- and met, whether the unit meets the indicator.
create or replace macro indicator_rates(model, counted) as table
    select model as model, county_code, value_date,
           count(distinct unit) filter (where met)::bigint as numerator, count(distinct unit)::bigint as denominator,
           round(100.0 * numerator / nullif(denominator, 0), 2) as value
    from query_table(counted)
    group by county_code, value_date;

-- Children on the register per period, area (`area`: its community_code or street_code column), age band
-- ('all' = 0-16) and category (流动儿童, 留守儿童, and 困境儿童 = in difficulty, of either category): the map's marts.
create or replace macro register_counts(register, area) as table
    with listed as (
        select period, area as area_code, age_band, category, coalesce(in_difficulty, false) as in_difficulty
        from query_table(register)
        where area is not null and age_band is not null
    ),
    counted as (
        select period, area_code, age_band, category, count(*) as children from listed group by all
        union all
        select period, area_code, age_band, '困境儿童', count(*) from listed where in_difficulty group by all
    )
    select * from counted
    union all
    select period, area_code, 'all', category, sum(children) from counted group by all;

-- The rows of a staging model in the landing gap_source_periods chose for `src` in each reporting period, under
-- the reporting period (`period`; one landing may serve several): what the service-gap marts count.
create or replace macro chosen_rows(model, src) as table
    select u.period, r.* exclude (period)
    from query_table(model) r
    join gap_source_periods u on u.source = src and u.source_period = r.period;
