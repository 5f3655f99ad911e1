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
