-- The published snapshot's one meta row: which build, when, the data date (null before any extract landed).
select snapshot_id, built_at, data_date, is_demo from meta limit 1
