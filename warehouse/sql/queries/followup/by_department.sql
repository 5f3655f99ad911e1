-- Follow-up items per department and status: the department an item is assigned to ($departments: '' not
-- yet assigned, or 儿童主任 for a children's director), and the referrals waiting for it ($referred_to).
-- Parallel lists of the states the loop folded, one element per item, as followup/by_street takes them.
with items as (
    select unnest($regions) as region_code, unnest($departments) as department, unnest($statuses) as status,
           unnest($overdue) as overdue, unnest($referred_to) as referred_to
),
counted as (
    select region_code, coalesce(nullif(department, ''), '未指派') as department, status, overdue,
           false as is_referral
    from items
    union all
    select region_code, referred_to, null, '0', true from items where referred_to <> ''
)
select department,
       count(*) filter (where status = '待处理')::bigint as pending,
       count(*) filter (where status = '处理中')::bigint as working,
       count(*) filter (where status = '复发')::bigint as recurred,
       count(*) filter (where status = '已办结')::bigint as done,
       count(*) filter (where status = '无需处理')::bigint as not_needed,
       count(*) filter (where overdue = '1')::bigint as overdue,
       count(*) filter (where is_referral)::bigint as referred_in
from counted
where in_scope(region_code, $scope)
group by department
order by department = '未指派', department
