-- Cross-department matching by person_key (the keyed hash of the ID number), one row per child and
-- check (person level: person_key only). is_matched = false puts the child on the worklist of the
-- responsible department. Each check compares the latest period of each extract:
--   dropout      register children aged 7–15 with no student-status record (教育局 控辍保学)
--   uncounted    police residence registrations (under 16) missing from the register (民政局 底数)
--   health       register children under 6 with no 0–6 health record (卫健委)
--   vaccination  register children with a dose of config/vaccine_schedule.csv due inside the
--                vaccination extracts' window (due + grace before its end) and no record of it (卫健委)
--   rehab        disabled children (残联) with no rehabilitation aid (残联)
--   assistance   register children in difficulty (困境) with no social assistance (民政局)
--   insurance    register children with no medical insurance in force (status ≠ 终止) (医保局)
with register as (select * from latest_period(stg_civil_register)),
students as (select distinct person_key from latest_period(stg_students)),
police as (select * from latest_period(stg_residence_permits)),
health as (select distinct person_key from latest_period(stg_health_records)),
disabled as (select * from latest_period(stg_disabled_children)),
assisted as (select distinct person_key from latest_period(stg_assistance)),

insured as (
    select distinct person_key from latest_period(stg_medical_insurance)
    where coalesce(status, '正常参保') <> '终止'
),

vacc_window as (
    select min(period_start) as window_start, max(period_end) as window_end from stg_vaccinations
),

doses_due as (
    select r.person_key, v.vaccine, v.dose::integer as dose,
           r.birth_date + v.due_age_days::integer as due_date
    from register r
    cross join cfg_vaccine_schedule v
    cross join vacc_window w
    where r.birth_date + v.due_age_days::integer >= w.window_start
      and r.birth_date + v.due_age_days::integer + v.grace_days::integer <= w.window_end
),

doses_missing as (
    select d.person_key, string_agg(d.vaccine || '第' || d.dose || '剂', '、' order by d.due_date) as missing,
           count(*) as doses_missing
    from doses_due d
    where not exists (
        select 1 from stg_vaccinations x
        where x.person_key = d.person_key and x.vaccine = d.vaccine and x.dose = d.dose
    )
    group by d.person_key
),

checks as (
    select 'dropout' as check_code, r.period, r.person_key, r.county_code, r.street_code, r.community_code,
           r.age_years, r.person_key in (select person_key from students) as is_matched,
           null::varchar as detail
    from register r
    where r.age_years between 7 and 15

    union all
    select 'uncounted', p.period, p.person_key, p.county_code, p.street_code, p.community_code,
           p.age_years, p.person_key in (select person_key from register), null
    from police p
    where p.age_years < 16

    union all
    select 'health', r.period, r.person_key, r.county_code, r.street_code, r.community_code,
           r.age_years, r.person_key in (select person_key from health), null
    from register r
    where r.age_years < 6

    union all
    select 'vaccination', r.period, r.person_key, r.county_code, r.street_code, r.community_code,
           r.age_years, m.person_key is null, m.missing
    from register r
    left join doses_missing m on m.person_key = r.person_key
    where r.person_key in (select person_key from doses_due)

    union all
    select 'rehab', d.period, d.person_key, d.county_code, d.street_code, null,
           d.age_years, coalesce(d.has_rehab_aid, false), d.disability_type
    from disabled d

    union all
    select 'assistance', r.period, r.person_key, r.county_code, r.street_code, r.community_code,
           r.age_years, r.person_key in (select person_key from assisted), null
    from register r
    where r.in_difficulty

    union all
    select 'insurance', r.period, r.person_key, r.county_code, r.street_code, r.community_code,
           r.age_years, r.person_key in (select person_key from insured), null
    from register r
),

labels as (
    select * from (values
        ('dropout', 1, '适龄儿童无学籍（控辍保学）', '教育局', '民政局—教育局'),
        ('uncounted', 2, '公安居住登记未纳入民政台账（底数不清）', '民政局', '公安局—民政局'),
        ('health', 3, '0—6岁儿童无健康档案', '卫健委', '民政局—卫健委'),
        ('vaccination', 4, '未按程序接种疫苗', '卫健委', '民政局—卫健委'),
        ('rehab', 5, '残疾儿童未享受康复救助', '残联', '残联—残联'),
        ('assistance', 6, '困境儿童未获社会救助', '民政局', '民政局—民政局（救助）'),
        ('insurance', 7, '儿童未参加医疗保险', '医保局', '民政局—医保局')
    ) as t(check_code, check_order, check_label, department, department_pair)
),

final as (
    select c.check_code, l.check_order, l.check_label, l.department, l.department_pair,
           c.period, c.person_key, c.county_code, c.street_code, c.community_code, c.age_years,
           c.is_matched, c.detail
    from checks c
    join labels l using (check_code)
)

select * from final
