-- The scope rule of every catalogue query, bound per cursor by warehouse/queries/catalogue.py.
-- prefixes is the user's Scope as division-code prefixes: [''] everything, ['3204'] a city, [] nothing.
-- The first eight prefixes are tested one by one: DuckDB prunes starts_with on a constant, and a lambda over
-- the list is 10x slower on a list mart; a scope of more regions falls back to the lambda. The scope of
-- everything ('') also holds rows whose code is unknown (null): they count in the whole's total, in no part.
create or replace temp macro in_scope(code, prefixes) as
    list_contains(prefixes, '') or
    coalesce(starts_with(code, prefixes[1]), false) or coalesce(starts_with(code, prefixes[2]), false) or
    coalesce(starts_with(code, prefixes[3]), false) or coalesce(starts_with(code, prefixes[4]), false) or
    coalesce(starts_with(code, prefixes[5]), false) or coalesce(starts_with(code, prefixes[6]), false) or
    coalesce(starts_with(code, prefixes[7]), false) or coalesce(starts_with(code, prefixes[8]), false) or
    (len(prefixes) > 8 and len(list_filter(prefixes, lambda p: starts_with(code, p))) > 0);
-- Also the regions above the scope: a street officer's region list names their county, not its figures.
create or replace temp macro in_scope_or_above(code, prefixes) as
    in_scope(code, prefixes) or len(list_filter(prefixes, lambda p: starts_with(p, code))) > 0;
