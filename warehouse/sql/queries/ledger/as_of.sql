-- The ledger's "today", visit plan and survey period. "Today" is the snapshot's data date (meta.data_date, which
-- ledger_children carries as as_of_date), not the clock, so overdue and due figures are deterministic.
select (select data_date from meta) as as_of_date,
       (select string_agg(distinct plan, '、') from cfg_visit_rules where in_use) as visit_plan,
       (select any_value(period) from ledger_children) as period
