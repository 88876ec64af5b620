-- Metadata search that the GIN index can answer under row-level security.
--
-- jsonb's @> and @? are not leakproof, so PostgreSQL evaluates content_versions' read policy before them and cannot use
-- ix_content_versions_metadata for the application login: at 1,000,000 versions a rare key walked the primary key for
-- 2 s (docs/benchmarks.md, "Content: findings"), while the same statement without the policy took 2 ms. This function
-- finds the matching ids with the owner's rights (the owner is not subject to the policy, so the index serves both
-- operators) and returns ids only; the caller reads the rows through the policy as before. It answers only actors who
-- may read every version (the policy's staff: content writers, reviewers, educators, analysts), so the ids it returns
-- are exactly the rows the policy then shows, and a page is never short.
CREATE FUNCTION hephaestus.content_version_ids_matching(p_contains jsonb, p_path jsonpath, p_after uuid, p_limit integer)
    RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
BEGIN
    IF NOT (can_write_content() OR can_review() OR has_role('educator') OR has_role('analyst')) THEN
        RETURN;
    END IF;
    -- One statement per combination, so each plan has only indexable conditions (no "$1 IS NULL OR ...").
    IF p_path IS NULL THEN
        RETURN QUERY SELECT v.id FROM content_versions v
            WHERE v.metadata @> p_contains AND (p_after IS NULL OR v.id > p_after) ORDER BY v.id LIMIT p_limit;
    ELSIF p_contains IS NULL THEN
        RETURN QUERY SELECT v.id FROM content_versions v
            WHERE v.metadata @? p_path AND (p_after IS NULL OR v.id > p_after) ORDER BY v.id LIMIT p_limit;
    ELSE
        RETURN QUERY SELECT v.id FROM content_versions v
            WHERE v.metadata @> p_contains AND v.metadata @? p_path AND (p_after IS NULL OR v.id > p_after) ORDER BY v.id LIMIT p_limit;
    END IF;
END
$$;
GRANT EXECUTE ON FUNCTION hephaestus.content_version_ids_matching(jsonb, jsonpath, uuid, integer) TO hephaestus_app;
