-- One child's visit records, newest first, for their file; nothing unless the child's latest ledger row lies in
-- the scope (the same gate as file_person).
select visit_date, visit_type, director_id, needs, r.region_name as street_name
from ledger_visits v
left join regions r on r.region_code = v.street_code
where person_key = $person_key
  and (select in_scope(street_code, $scope) from ledger_children
       where person_key = $person_key order by period desc limit 1)
order by visit_date desc
