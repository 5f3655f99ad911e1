-- Demand and supply figures behind the service gaps, per reporting period, county and street (long form:
-- one row per measure). Each source contributes its landing chosen in gap_source_periods; a measure
-- whose source has no landing is absent (not zero). County figures include county-level facilities.
with used as (
    select period, source, source_period, source_period_end from gap_source_periods
),

-- The streets and communities of today's codes (区划调整: one retired for one the table holds is counted there),
-- each under today's street and county.
streets as (
    select m.region_code as street_code, m.county_code
    from regions r
    join region_current m on m.region_code = r.region_code
    where r.level = 'street' and m.current_code = r.region_code
),

communities as (
    select m.region_code as community_code, m.street_code, m.county_code
    from regions r
    join region_current m on m.region_code = r.region_code
    where r.level = 'community' and m.current_code = r.region_code
),

catalogue as (
    select *, row_number() over () as measure_order from (values
        ('residents', '常住人口', '人', 'demand', 'population'),
        ('residents_0_3', '0—3岁常住人口', '人', 'demand', 'population'),
        ('residents_3_6', '3—6岁常住人口', '人', 'demand', 'population'),
        ('residents_6_16', '6—16岁常住人口', '人', 'demand', 'population'),
        ('register_children', '监测儿童', '人', 'demand', 'civil_register'),
        ('migrant_children', '流动儿童', '人', 'demand', 'civil_register'),
        ('left_behind_children', '留守儿童', '人', 'demand', 'civil_register'),
        ('children_0_3', '0—3岁监测儿童', '人', 'demand', 'civil_register'),
        ('children_3_6', '3—6岁监测儿童', '人', 'demand', 'civil_register'),
        ('children_0_6', '0—6岁监测儿童', '人', 'demand', 'civil_register'),
        ('children_6_16', '义务教育年龄（6—16岁）监测儿童', '人', 'demand', 'civil_register'),
        ('children_12_16', '12—16岁监测儿童', '人', 'demand', 'civil_register'),
        ('key_children', '重点对象', '人', 'demand', 'key_children'),
        ('communities', '村（社区）数', '个', 'demand', 'regions'),
        ('streets', '街道（乡镇）数', '个', 'demand', 'regions'),
        ('childcare_places', '托位', '个', 'supply', 'childcare'),
        ('inclusive_childcare_places', '普惠托位', '个', 'supply', 'childcare'),
        ('kindergarten_places', '幼儿园学位', '个', 'supply', 'school_places'),
        ('inclusive_kindergarten_places', '普惠性幼儿园学位（公办＋普惠性民办）', '个', 'supply', 'school_places'),
        ('compulsory_places', '义务教育学位', '个', 'supply', 'school_places'),
        ('public_compulsory_places', '义务教育公办学位', '个', 'supply', 'school_places'),
        ('migrant_pupils', '随迁子女（小学、初中）', '人', 'demand', 'students'),
        ('migrant_pupils_public', '其中在公办学校就读', '人', 'supply', 'students'),
        ('directors', '儿童主任', '名', 'supply', 'directors'),
        ('communities_with_director', '配备儿童主任的村（社区）', '个', 'supply', 'directors'),
        ('supervisors', '儿童督导员', '名', 'supply', 'directors'),
        ('fulltime_supervisors', '专职儿童督导员', '名', 'supply', 'directors'),
        ('streets_with_fulltime_supervisor', '配备专职儿童督导员的街道（乡镇）', '个', 'supply', 'directors'),
        ('children_homes', '儿童之家（关爱之家，运转中）', '个', 'supply', 'children_homes'),
        ('communities_with_home', '建有儿童之家的村（社区）', '个', 'supply', 'children_homes'),
        ('protection_stations', '未成年人保护工作站（运转中）', '个', 'supply', 'children_homes'),
        ('streets_with_station', '建有保护工作站的街道（乡镇）', '个', 'supply', 'children_homes'),
        ('rescue_institutions', '未成年人救助保护机构（运转中）', '个', 'supply', 'children_homes'),
        ('volunteer_teams', '志愿服务队伍', '支', 'supply', 'volunteer_teams'),
        ('social_organisations', '社会组织', '个', 'supply', 'volunteer_teams'),
        ('volunteers', '志愿者', '名', 'supply', 'volunteers'),
        ('volunteer_hours', '近12个月志愿服务时长', '小时', 'supply', 'activities'),
        ('children_0_6_with_record', '已建健康档案的0—6岁监测儿童', '人', 'supply', 'health_records'),
        ('children_dose_due', '接种记录期内有到期应种剂次的监测儿童', '人', 'demand', 'vaccinations'),
        ('children_doses_on_time', '其中到期剂次均有接种记录的儿童', '人', 'supply', 'vaccinations'),
        ('children_insured', '正常参保的监测儿童', '人', 'supply', 'medical_insurance'),
        ('key_children_visited', '近3个月入户走访过的重点对象', '人', 'supply', 'visits')
    ) as t(measure, measure_label, measure_unit, side, source)
),

register as (
    select * from chosen_rows(stg_civil_register, 'civil_register')
),

population as (
    select p.period, p.street_code, p.county_code, m.measure, m.value
    from chosen_rows(stg_population, 'population') p
    cross join lateral (values
        ('residents', p.residents::double), ('residents_0_3', p.residents_0_3::double),
        ('residents_3_6', p.residents_3_6::double),
        ('residents_6_16', (coalesce(p.residents_6_12, 0) + coalesce(p.residents_12_16, 0))::double)
    ) as m(measure, value)
),

register_counts as (
    select period, street_code, county_code, m.measure, m.value
    from (
        select
            period, street_code, county_code,
            count(*) as register_children,
            count(*) filter (where category = '流动儿童') as migrant_children,
            count(*) filter (where category = '留守儿童') as left_behind_children,
            count(*) filter (where age_band = '0-3') as children_0_3,
            count(*) filter (where age_band = '3-6') as children_3_6,
            count(*) filter (where age_band in ('0-3', '3-6')) as children_0_6,
            count(*) filter (where age_band in ('6-12', '12-16')) as children_6_16,
            count(*) filter (where age_band = '12-16') as children_12_16
        from register
        group by period, street_code, county_code
    ) c
    cross join lateral (values
        ('register_children', c.register_children::double), ('migrant_children', c.migrant_children::double),
        ('left_behind_children', c.left_behind_children::double), ('children_0_3', c.children_0_3::double),
        ('children_3_6', c.children_3_6::double), ('children_0_6', c.children_0_6::double),
        ('children_6_16', c.children_6_16::double), ('children_12_16', c.children_12_16::double)
    ) as m(measure, value)
),

key_children as (
    select k.period, k.person_key, k.street_code, k.county_code
    from chosen_rows(stg_key_children, 'key_children') k
),

region_counts as (
    select u.period, c.street_code, c.county_code, 'communities' as measure, count(*)::double as value
    from communities c cross join (select distinct period from used) u
    group by all
    union all
    select u.period, s.street_code, s.county_code, 'streets', 1::double
    from streets s cross join (select distinct period from used) u
),

childcare as (
    select c.period, c.street_code, c.county_code, m.measure, sum(m.value) as value
    from chosen_rows(stg_childcare, 'childcare') c
    cross join lateral (values
        ('childcare_places', c.places::double), ('inclusive_childcare_places', coalesce(c.inclusive_places, 0)::double)
    ) as m(measure, value)
    group by all
),

schools as (
    select s.period, s.street_code, s.county_code, m.measure, sum(m.value) as value
    from chosen_rows(stg_school_places, 'school_places') s
    cross join lateral (values
        ('kindergarten_places', case when s.stage = '幼儿园' then s.places end::double),
        ('inclusive_kindergarten_places',
            case when s.stage = '幼儿园' and s.school_type in ('公办', '普惠性民办') then s.places end::double),
        ('compulsory_places', case when s.stage in ('小学', '初中', '九年一贯制') then s.places end::double),
        ('public_compulsory_places',
            case when s.stage in ('小学', '初中', '九年一贯制') and s.school_type = '公办' then s.places end::double)
    ) as m(measure, value)
    where m.value is not null
    group by all
),

pupils as (
    select s.period, s.street_code, s.county_code, m.measure, sum(m.value) as value
    from chosen_rows(stg_students, 'students') s
    cross join lateral (values
        ('migrant_pupils', 1::double),
        ('migrant_pupils_public', case when s.school_type = '公办' then 1 end::double)
    ) as m(measure, value)
    where s.is_migrant and s.stage in ('小学', '初中') and m.value is not null
    group by all
),

staff as (
    select d.*, c.community_code as known_community
    from chosen_rows(stg_directors, 'directors') d
    left join communities c on c.community_code = d.region_code
),

staff_counts as (
    select period, street_code, county_code, 'directors' as measure, count(*)::double as value
    from staff where role = '儿童主任' group by all
    union all
    select period, street_code, county_code, 'communities_with_director', count(distinct known_community)::double
    from staff where role = '儿童主任' and known_community is not null group by all
    union all
    select period, street_code, county_code, 'supervisors', count(*)::double
    from staff where role = '儿童督导员' group by all
    union all
    select period, street_code, county_code, 'fulltime_supervisors', count(*)::double
    from staff where role = '儿童督导员' and is_full_time group by all
    union all
    select period, street_code, county_code, 'streets_with_fulltime_supervisor', 1::double
    from staff where role = '儿童督导员' and is_full_time and street_code is not null group by all
),

homes as (
    select h.*, c.community_code as known_community
    from chosen_rows(stg_children_homes, 'children_homes') h
    left join communities c on c.community_code = h.region_code
    where coalesce(h.is_active, true)
),

home_counts as (
    select period, street_code, county_code, 'children_homes' as measure, count(*)::double as value
    from homes where facility_type in ('儿童之家', '关爱之家') group by all
    union all
    select period, street_code, county_code, 'communities_with_home', count(distinct known_community)::double
    from homes where facility_type in ('儿童之家', '关爱之家') and known_community is not null group by all
    union all
    select period, street_code, county_code, 'protection_stations', count(*)::double
    from homes where facility_type = '未成年人保护工作站' group by all
    union all
    select period, street_code, county_code, 'streets_with_station', 1::double
    from homes where facility_type = '未成年人保护工作站' and street_code is not null group by all
    union all
    select period, street_code, county_code, 'rescue_institutions', count(*)::double
    from homes where facility_type = '未成年人救助保护机构' group by all
),

teams as (
    select t.period, t.team_id, t.team_type, t.street_code, t.county_code
    from chosen_rows(stg_volunteer_teams, 'volunteer_teams') t
),

team_counts as (
    select period, street_code, county_code, 'volunteer_teams' as measure, count(*)::double as value
    from teams group by all
    union all
    select period, street_code, county_code, 'social_organisations', count(*)::double
    from teams where team_type = '社会组织' group by all
),

volunteer_counts as (
    select v.period, t.street_code, t.county_code, 'volunteers' as measure, count(*)::double as value
    from chosen_rows(stg_volunteers, 'volunteers') v
    join teams t on t.period = v.period and t.team_id = v.team_id
    group by all
),

hours as (
    select u.period, a.street_code, a.county_code, 'volunteer_hours' as measure,
           sum(coalesce(a.volunteer_hours, 0))::double as value
    from stg_activities a
    join used u on u.source = 'activities'
    where a.status = '已开展'
      and a.activity_date > u.source_period_end - interval 12 month
      and a.activity_date <= u.source_period_end
    group by all
),

coverage as (
    select r.period, r.street_code, r.county_code, 'children_0_6_with_record' as measure, count(*)::double as value
    from register r
    where r.age_band in ('0-3', '3-6') and exists (
        select 1 from chosen_rows(stg_health_records, 'health_records') h
        where h.period = r.period and h.person_key = r.person_key)
    group by all
    union all
    select r.period, r.street_code, r.county_code, 'children_insured', count(*)::double
    from register r
    where exists (
        select 1 from chosen_rows(stg_medical_insurance, 'medical_insurance') m
        where m.period = r.period and m.person_key = r.person_key and m.status = '正常参保')
    group by all
),

-- Vaccination extracts are monthly events: a child whose doses fell before the first landed month has no
-- record in them and is not unvaccinated. So only children with a dose of config/vaccine_schedule.csv due
-- inside the landed months (due + grace by the window's end) count, and each such dose must have a record
-- (the 数据比对 check 未按程序接种疫苗 uses the same rule). Not the 卫健委's reported 疫苗接种率.
vacc_window as (
    select u.period, min(v.period_start) as window_start, u.source_period_end as window_end
    from used u
    join (select distinct period_start, period_end from stg_vaccinations) v on v.period_end <= u.source_period_end
    where u.source = 'vaccinations'
    group by u.period, u.source_period_end
),

doses_due as (
    select r.period, r.person_key, r.street_code, r.county_code, s.vaccine, s.dose::integer as dose,
           w.window_end
    from register r
    join vacc_window w on w.period = r.period
    cross join cfg_vaccine_schedule s
    where r.birth_date + s.due_age_days::integer >= w.window_start
      and r.birth_date + s.due_age_days::integer + s.grace_days::integer <= w.window_end
),

given as (
    select person_key, vaccine, dose::integer as dose, min(vaccination_date) as first_date
    from stg_vaccinations
    group by all
),

due_children as (
    select d.period, d.person_key, any_value(d.street_code) as street_code, any_value(d.county_code) as county_code,
           bool_and(g.person_key is not null) as all_recorded
    from doses_due d
    left join given g on g.person_key = d.person_key and g.vaccine = d.vaccine and g.dose = d.dose
        and g.first_date <= d.window_end
    group by d.period, d.person_key
),

vaccination as (
    select period, street_code, county_code, 'children_dose_due' as measure, count(*)::double as value
    from due_children group by all
    union all
    select period, street_code, county_code, 'children_doses_on_time', count(*)::double
    from due_children where all_recorded group by all
),

visited as (
    select k.period, k.street_code, k.county_code, 'key_children_visited' as measure, count(*)::double as value
    from key_children k
    where exists (
        select 1 from stg_visits v join used u on u.source = 'visits'
        where u.period = k.period and v.person_key = k.person_key
          and v.visit_type in ('入户走访', '送教上门')
          and v.visit_date > u.source_period_end - interval 3 month
          and v.visit_date <= u.source_period_end)
    group by all
),

key_counts as (
    select period, street_code, county_code, 'key_children' as measure, count(*)::double as value
    from key_children group by all
),

facts as (
    select * from population
    union all select * from register_counts
    union all select * from key_counts
    union all select * from region_counts
    union all select * from childcare
    union all select * from schools
    union all select * from pupils
    union all select * from staff_counts
    union all select * from home_counts
    union all select * from team_counts
    union all select * from volunteer_counts
    union all select * from hours
    union all select * from coverage
    union all select * from vaccination
    union all select * from visited
),

available as (
    select u.period, c.measure, c.measure_order, c.measure_label, c.measure_unit, c.side, c.source, u.source_period
    from catalogue c
    join used u on u.source = c.source
),

street_grid as (
    select a.*, 'street' as level, s.street_code as area_code, s.county_code, s.street_code
    from available a cross join streets s
),

county_grid as (
    select a.*, 'county' as level, c.region_code as area_code, c.region_code as county_code,
           null::varchar as street_code
    from available a cross join (
        select region_code from regions where level = 'county' and is_listed
    ) c
),

street_values as (
    select period, street_code, measure, sum(value) as value from facts where street_code is not null group by all
),

county_values as (
    select period, county_code, measure, sum(value) as value from facts where county_code is not null group by all
),

final as (
    select g.period, g.level, g.area_code, g.county_code, g.street_code, g.measure, g.measure_order, g.measure_label,
           g.measure_unit, g.side, g.source, g.source_period, coalesce(v.value, 0) as value
    from street_grid g
    left join street_values v on v.period = g.period and v.street_code = g.area_code and v.measure = g.measure
    union all
    select g.period, g.level, g.area_code, g.county_code, g.street_code, g.measure, g.measure_order, g.measure_label,
           g.measure_unit, g.side, g.source, g.source_period, coalesce(v.value, 0) as value
    from county_grid g
    left join county_values v on v.period = g.period and v.county_code = g.area_code and v.measure = g.measure
)

select * from final
