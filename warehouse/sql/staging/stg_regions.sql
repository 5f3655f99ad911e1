-- 行政区划代码表（统计局/民政局）: administrative divisions (region dimension). Kind: snapshot, one year per period.
select * from in_force('raw_regions')
