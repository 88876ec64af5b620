-- Metadata search that is fast for common and for rare filters alike (issue 10's figure: p99 under 20 ms over 1,000,000
-- versions), replacing 0022's body of content_version_ids_matching (same signature, same rights, same answer).
--
-- What bench/content.sh showed with 0022's function: no single plan suits every filter, and the planner cannot tell
-- which one it has. Walking the primary key in id order finds a page of a common value ("language": "en", 10 %) after
-- ~500 rows (0.3 ms) but walks the whole table for a rare one; the GIN index finds a rare value at once but fetches every
-- match's heap page before the page can be sorted (8,300 matches: 28 ms). The planner estimates a containment from the
-- column's statistics, which describe whole documents, not keys: it took the primary-key walk for some rare
-- three-key filters (0.3–0.4 s each over 1,000,000 versions; p99 2.2 s through the API) and the index for a medium one.
-- So the function measures instead of guessing: it walks a first window of the primary key from the cursor, keeps its
-- matches, estimates the filter's selectivity from them, and then either walks on (expected rows to walk < 7 × the
-- matches the index would fetch: a heap page fetched through a bitmap cost about seven rows walked in order, measured
-- on 1,000,000 versions) or asks the GIN index for the rest of the page after what it has walked. The answer is the
-- same either way: the first p_limit matching ids after p_after, in id order. Each call is planned with its values
-- (plan_cache_mode): a generic plan, made without the filter, could only guess again.
CREATE OR REPLACE FUNCTION hephaestus.content_version_ids_matching(p_contains jsonb, p_path jsonpath, p_after uuid, p_limit integer)
    RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    SET plan_cache_mode = force_custom_plan
    ROWS 50
    AS $$
DECLARE
    first_window constant integer := 1000;
    max_window   constant integer := 200000;
    heap_fetch_cost constant double precision := 7;
    boundary uuid := p_after;
    wanted integer := p_limit;
    window_rows integer := first_window;
    found integer;
    last_seen uuid;
    walked integer;
    total_walked bigint := 0;
    total_hits bigint := 0;
    selectivity double precision;
    table_rows double precision;
BEGIN
    IF NOT (can_write_content() OR can_review() OR has_role('educator') OR has_role('analyst')) OR p_limit < 1 THEN
        RETURN;
    END IF;
    SELECT greatest(c.reltuples, 0) INTO table_rows FROM pg_class c WHERE c.oid = 'hephaestus.content_versions'::regclass;

    LOOP
        -- This window's matches, in id order, stopping as soon as the page is full (a common value stops early).
        RETURN QUERY
            SELECT w.id FROM (SELECT v.id, v.metadata FROM content_versions v
                              WHERE boundary IS NULL OR v.id > boundary ORDER BY v.id LIMIT window_rows) w
            WHERE (p_contains IS NULL OR w.metadata @> p_contains) AND (p_path IS NULL OR w.metadata @? p_path)
            ORDER BY w.id LIMIT wanted;
        GET DIAGNOSTICS found = ROW_COUNT;
        IF found >= wanted THEN
            RETURN;
        END IF;
        -- Short of a page: the whole window was read. Where it ended (the primary key alone), and whether the table did.
        SELECT count(*), (array_agg(w.id ORDER BY w.id DESC))[1] INTO walked, last_seen
          FROM (SELECT v.id FROM content_versions v WHERE boundary IS NULL OR v.id > boundary ORDER BY v.id LIMIT window_rows) w;
        IF walked < window_rows THEN
            RETURN;
        END IF;
        wanted := wanted - found;
        boundary := last_seen;
        total_walked := total_walked + walked;
        total_hits := total_hits + found;
        selectivity := total_hits::double precision / total_walked;
        EXIT WHEN selectivity = 0
            OR wanted / selectivity >= heap_fetch_cost * selectivity * greatest(table_rows - total_walked, 0)
            OR window_rows >= max_window;
        window_rows := least(ceil(1.5 * wanted / selectivity)::integer, max_window);
    END LOOP;

    -- The rest of the page from the GIN index: every match after the boundary, then the first ones. One statement per
    -- combination of filters, so that each has only indexable conditions.
    IF p_path IS NULL THEN
        RETURN QUERY WITH m AS MATERIALIZED (SELECT v.id FROM content_versions v WHERE v.metadata @> p_contains AND v.id > boundary)
            SELECT m.id FROM m ORDER BY m.id LIMIT wanted;
    ELSIF p_contains IS NULL THEN
        RETURN QUERY WITH m AS MATERIALIZED (SELECT v.id FROM content_versions v WHERE v.metadata @? p_path AND v.id > boundary)
            SELECT m.id FROM m ORDER BY m.id LIMIT wanted;
    ELSE
        RETURN QUERY WITH m AS MATERIALIZED (
                SELECT v.id FROM content_versions v WHERE v.metadata @> p_contains AND v.metadata @? p_path AND v.id > boundary)
            SELECT m.id FROM m ORDER BY m.id LIMIT wanted;
    END IF;
END
$$;
