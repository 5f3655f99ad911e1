-- Needs recorded in visits in the 12 months to the data date (free text such as 作业辅导、心理疏导,
-- split on 、，,; ) against activities held per type, per street. Aggregate: no person_key.
with as_of as (
    select max(data_date) as as_of_date from meta
),

needs as (
    select v.county_code, v.street_code, trim(n.need) as service_type, count(*) as needs
    from stg_visits v, as_of a,
         unnest(regexp_split_to_array(v.needs, '[、，,;；/ ]+')) as n(need)
    where v.needs is not null and trim(n.need) <> ''
      and v.visit_date > a.as_of_date - 365 and v.visit_date <= a.as_of_date
      and v.street_code is not null
    group by all
),

offers as (
    select county_code, street_code, activity_type as service_type,
           sum(activities::double)::bigint as activities, sum(person_times::double)::bigint as person_times
    from vol_activities, as_of a
    where status = '已开展' and period_end > a.as_of_date - 365 and period_end <= a.as_of_date
    group by all
),

final as (
    select
        coalesce(n.county_code, o.county_code) as county_code,
        coalesce(n.street_code, o.street_code) as street_code,
        coalesce(n.service_type, o.service_type) as service_type,
        coalesce(n.needs, 0::bigint) as needs,
        coalesce(o.activities, 0::bigint) as activities,
        coalesce(o.person_times, 0::bigint) as person_times
    from needs n
    full join offers o on n.street_code = o.street_code and n.service_type = o.service_type
)

select * from final
