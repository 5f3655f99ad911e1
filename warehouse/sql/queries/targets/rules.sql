-- Status thresholds as the plan office set them in config/target_rules.csv (report_grace_days: the days a
-- report may come after its period ends before it counts as owed).
select rule, value from cfg_target_rules
