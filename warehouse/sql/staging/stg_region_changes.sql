-- 区划变更对照表（统计局/民政局）: division code changes (old code → new code). Kind: snapshot, one year per period.
-- Every year's list counts (a change stays a change); the same pair listed again keeps its latest listing.
select *
from in_force('raw_region_changes')
qualify row_number() over (partition by old_code, new_code order by period desc) = 1
