-- The division codes the landed change tables retire, as the lists give them (not the streets and
-- communities that follow a renumbered county by prefix), in scope: the old code's region or its successor's.
select old_code, old_name, successor_codes, is_split, effective_date, change_type, in_region_table
from region_changes_report
where not is_derived and (in_scope(old_code, $scope) or coalesce(in_scope(current_code, $scope), false))
