-- Which landing of each source the service-gap marts use for each reporting (register) period.
-- Snapshot sources: the latest landed period that has started by the end of the reporting period,
-- or, when none has, the latest landed period (the page says which, e.g. 托位数据：2026Q3).
-- Event sources (vaccinations, visits, activities) are read by date up to the chosen month's end.
with reporting as (
    select period, period_end, has_register, has_key_children from report_periods
),

-- The periods each source has landed, the source named by its landing (load_log).
landed as (
    select distinct l.source, s.period, s.period_start, s.period_end
    from query_table([stg_population, stg_childcare, stg_school_places, stg_students, stg_directors,
                      stg_children_homes, stg_volunteer_teams, stg_volunteers, stg_activities, stg_health_records,
                      stg_vaccinations, stg_medical_insurance, stg_visits, stg_regions], true) s
    join load_log l using (load_id)
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
