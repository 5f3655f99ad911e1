-- 志愿者名册（妇联）: volunteers roster. Kind: snapshot, one month per period.
select * from in_force('raw_volunteers')
