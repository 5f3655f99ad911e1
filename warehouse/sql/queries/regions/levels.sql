-- Every region's code and level, by code: no names and no figures, enough to set up one demo user per region.
select region_code, level from regions order by region_code
