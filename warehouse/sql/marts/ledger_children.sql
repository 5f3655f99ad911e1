-- One row per key child of the latest survey (一人一档, person level: person_key only, no name or ID):
-- current street = the street of the child's latest survey (a child who moved is one child, counted
-- where they live now); visits are matched by person_key across every street, so history is kept.
-- Visit rules come from config/visit_rules.csv (the plan with in_use = true), risk levels from
-- config/risk_schemes.csv. "Today" is meta.data_date (the snapshot's data date), not the wall clock.
-- Any visit counts as a contact; 入户走访 and 送教上门 count as home visits.
with source as (
    select * from stg_key_children
),

today as (
    select data_date from meta
),

latest as (
    select max(period_end) as period_end from source
),

surveys as (
    select
        period, period_end, person_key, county_code, street_code, community_code,
        key_type, risk_level, director_id, survey_date, has_care_agreement, guardian_relation, school_name,
        lag(risk_level) over (partition by person_key order by period_end) as previous_risk_level,
        lag(street_code) over (partition by person_key order by period_end) as previous_street_code
    from source
),

history as (
    select person_key, min(survey_date) as first_survey_date, count(*) as surveys,
           count(distinct street_code) as streets_seen
    from source
    group by person_key
),

visit_summary as (
    select
        person_key,
        max(visit_date) as last_contact_date,
        max(visit_date) filter (where visit_type in ('入户走访', '送教上门')) as last_home_visit_date,
        count(*) as visits,
        count(*) filter (where visit_type in ('入户走访', '送教上门')) as home_visits
    from stg_visits
    where visit_date <= (select data_date from today)
    group by person_key
),

rules as (
    select plan, risk_level, contact_every_days::integer as contact_every_days,
           home_visit_every_days::integer as home_visit_every_days
    from cfg_visit_rules
    where in_use
),

schemes as (
    select scheme as risk_scheme, risk_level, rank::integer as risk_rank, is_high_risk
    from cfg_risk_schemes
),

renamed as (
    select
        s.person_key,
        s.period,
        s.county_code,
        s.street_code,
        s.community_code,
        s.previous_street_code,
        s.key_type,
        s.risk_level,
        sc.risk_scheme,
        sc.risk_rank,
        sc.is_high_risk,
        s.previous_risk_level,
        s.director_id,
        s.survey_date,
        s.has_care_agreement,
        s.guardian_relation,
        s.school_name,
        h.first_survey_date,
        h.surveys,
        h.streets_seen,
        coalesce(v.visits, 0) as visits,
        coalesce(v.home_visits, 0) as home_visits,
        v.last_contact_date,
        v.last_home_visit_date,
        r.plan as visit_plan,
        r.contact_every_days,
        r.home_visit_every_days,
        t.data_date as as_of_date,
        coalesce(v.last_contact_date, h.first_survey_date) + r.contact_every_days as next_contact_due,
        coalesce(v.last_home_visit_date, h.first_survey_date) + r.home_visit_every_days as next_home_visit_due
    from surveys s
    join latest l on s.period_end = l.period_end
    join history h on h.person_key = s.person_key
    left join visit_summary v on v.person_key = s.person_key
    left join rules r on r.risk_level = s.risk_level
    left join schemes sc on sc.risk_level = s.risk_level
    cross join today t
),

final as (
    select
        *,
        least(next_contact_due, next_home_visit_due) as next_due_date,
        greatest(date_diff('day', next_contact_due, as_of_date), 0) as contact_overdue_days,
        greatest(date_diff('day', next_home_visit_due, as_of_date), 0) as home_visit_overdue_days,
        greatest(date_diff('day', next_contact_due, as_of_date), date_diff('day', next_home_visit_due, as_of_date), 0)
            as overdue_days,
        as_of_date > next_contact_due or as_of_date > next_home_visit_due as is_overdue,
        not (as_of_date > next_contact_due or as_of_date > next_home_visit_due)
            and least(next_contact_due, next_home_visit_due) <= as_of_date + 30 as is_due_30d
    from renamed
)

-- Sorted by child: a child's file (ledger.child_file) then reads one row group, not the whole ledger.
select * from final
order by person_key
