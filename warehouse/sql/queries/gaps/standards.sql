-- The configured standards with their index weights, in configuration order (the order of
-- config/standards, which the page keeps: families stay together as the deployment wrote them).
select s.gap_id, s.gap_name, s.family, s.unit, s.basis, s.per::double as per,
       s.standard_value::double as standard_value, s.standard_value is not null as has_standard,
       s.source, w.weight::double as weight, w.reason
from (select *, row_number() over () as position from cfg_standards) s
left join cfg_gap_weights w on w.gap_id = s.gap_id
order by s.position
