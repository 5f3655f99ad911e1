-- The regions in scope whose code a landed change table retires (撤县设区, streets merged or split): the rows
-- of extracts still on these codes, or on codes under them, are counted by quality.retired_rows.
select region_code from regions where is_retired and in_scope(region_code, $scope) order by region_code
