-- One child's ledger rows, newest survey first, for their file; nothing unless the child's latest ledger row
-- lies in the scope (the same gate as file_person, so no part of a file is read outside the user's area).
select period, survey_date, r.region_name as street_name, key_type, risk_level, previous_risk_level,
       director_id, has_care_agreement, guardian_relation, school_name, visits, home_visits
from ledger_children l
left join regions r on r.region_code = l.street_code
where person_key = $person_key
  and (select in_scope(street_code, $scope) from ledger_children
       where person_key = $person_key order by period desc limit 1)
order by period desc
