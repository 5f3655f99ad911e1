-- The key-children page's cards over the scope: one row, zeros where the scope holds no key children; the empty
-- scope (no region at all) gets no row, not a row of zeros (default deny).
select count(*)::bigint as children, count(*) filter (where is_high_risk)::bigint as high_risk,
       count(*) filter (where is_overdue)::bigint as overdue,
       count(*) filter (where contact_overdue_days > 0)::bigint as contact_overdue,
       count(*) filter (where home_visit_overdue_days > 0)::bigint as home_visit_overdue,
       count(*) filter (where is_due_30d)::bigint as due_30d
from ledger_children
where in_scope(street_code, $scope)
having len($scope) > 0
