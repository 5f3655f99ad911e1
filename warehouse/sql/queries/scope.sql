-- The scope rule of every catalogue query. The build stores these macros in every snapshot (warehouse/build.py);
-- for a snapshot built before that, warehouse/queries/catalogue.py defines them per cursor as temp macros.
-- prefixes is the user's Scope as division-code prefixes: [''] everything, ['3204'] a city, [] nothing.
-- A scope of one region (nearly every user's) is tested with one starts_with, which DuckDB prunes and binds
-- as fast as the literal predicate; a scope of several regions takes the lambda over the list (slower per row
-- on a list mart, and only for those users). The scope of everything ('') also holds rows whose code is
-- unknown (null): they count in the whole's total, in no part.
create or replace macro in_scope(code, prefixes) as
    list_contains(prefixes, '') or coalesce(starts_with(code, prefixes[1]), false) or
    (len(prefixes) > 1 and len(list_filter(prefixes, lambda p: starts_with(code, p))) > 0);
-- Also the regions above the scope: a street officer's region list names their county, not its figures.
create or replace macro in_scope_or_above(code, prefixes) as
    in_scope(code, prefixes) or len(list_filter(prefixes, lambda p: starts_with(p, code))) > 0;
