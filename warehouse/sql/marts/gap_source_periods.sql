-- Which landing of each source the service-gap marts use for each reporting (register) period.
-- Snapshot sources: the latest landed period that has started by the end of the reporting period,
-- or, when none has, the latest landed period (the page says which, e.g. 托位数据：2026Q3).
-- Event sources (vaccinations, visits, activities) are read by date up to the chosen month's end.
with reporting as (
    select period, period_end, has_register, has_key_children from report_periods
),

landed as (
    select distinct 'population' as source, period, period_start, period_end from stg_population
    union all select distinct 'childcare', period, period_start, period_end from stg_childcare
    union all select distinct 'school_places', period, period_start, period_end from stg_school_places
    union all select distinct 'students', period, period_start, period_end from stg_students
    union all select distinct 'directors', period, period_start, period_end from stg_directors
    union all select distinct 'children_homes', period, period_start, period_end from stg_children_homes
    union all select distinct 'volunteer_teams', period, period_start, period_end from stg_volunteer_teams
    union all select distinct 'volunteers', period, period_start, period_end from stg_volunteers
    union all select distinct 'activities', period, period_start, period_end from stg_activities
    union all select distinct 'health_records', period, period_start, period_end from stg_health_records
    union all select distinct 'vaccinations', period, period_start, period_end from stg_vaccinations
    union all select distinct 'medical_insurance', period, period_start, period_end from stg_medical_insurance
    union all select distinct 'visits', period, period_start, period_end from stg_visits
    union all select distinct 'regions', period, period_start, period_end from stg_regions
),

chosen as (
    select
        r.period,
        l.source,
        coalesce(
            arg_max(l.period, l.period_end) filter (where l.period_start <= r.period_end),
            arg_max(l.period, l.period_end)
        ) as source_period
    from reporting r
    cross join landed l
    group by r.period, l.source
),

own as (
    select period, 'civil_register' as source, period as source_period from reporting where has_register
    union all
    select period, 'key_children', period from reporting where has_key_children
),

labels as (
    select * from (values
        ('regions', '行政区划'), ('population', '常住人口'), ('civil_register', '监测摸排台账'),
        ('key_children', '重点对象台账'), ('childcare', '托位数据'), ('school_places', '学位数据'),
        ('students', '学籍数据'), ('directors', '儿童主任花名册'), ('children_homes', '儿童之家数据'),
        ('volunteer_teams', '志愿队伍数据'), ('volunteers', '志愿者名册'), ('activities', '志愿活动'),
        ('health_records', '健康档案'), ('vaccinations', '接种记录'), ('medical_insurance', '医保参保'),
        ('visits', '走访记录')
    ) as t(source, source_label)
),

final as (
    select
        c.period,
        c.source,
        lb.source_label,
        c.source_period,
        l.period_start as source_period_start,
        l.period_end as source_period_end
    from (select * from chosen union all select * from own) c
    left join labels lb on lb.source = c.source
    left join (select distinct source, period, period_start, period_end from landed) l
        on l.source = c.source and l.period = c.source_period
)

select * from final
