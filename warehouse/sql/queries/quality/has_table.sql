-- Whether the snapshot has a table: one built before a model existed (division changes) has not, and a page
-- that reads it says nothing rather than failing.
select count(*) as n from information_schema.tables where table_name = $table
