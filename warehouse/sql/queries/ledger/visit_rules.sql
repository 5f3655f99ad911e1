-- The visit rules in force for the risk levels the ledger holds, in the risk scheme's order (红 → 橙 → 黄 → 绿):
-- the page shows the rules its overdue figures were computed with.
select v.plan, v.risk_level, v.contact_every_days, v.home_visit_every_days, v.source
from cfg_visit_rules v
left join cfg_risk_schemes s using (risk_level)
where v.in_use and v.risk_level in (select distinct risk_level from ledger_children)
order by s.scheme, s.rank
