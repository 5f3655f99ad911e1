-- Counties without any street and streets without any community: a region table that stops short of the
-- level the pages draw, the setup page's first warning.
select case p.level when 'county' then 'county_without_streets' else 'street_without_communities' end
           as problem, p.region_code, p.region_name
from regions p
where p.level in ('county', 'street') and in_scope(p.region_code, $scope)
  and not exists (select 1 from regions c where c.parent_code = p.region_code
                  and c.level = case p.level when 'county' then 'street' else 'community' end)
order by problem, p.region_code
