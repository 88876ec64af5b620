-- Back to 0022's body of the function (CREATE OR REPLACE also drops the plan_cache_mode setting and the ROWS estimate).
CREATE OR REPLACE FUNCTION hephaestus.content_version_ids_matching(p_contains jsonb, p_path jsonpath, p_after uuid, p_limit integer)
    RETURNS SETOF uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
BEGIN
    IF NOT (can_write_content() OR can_review() OR has_role('educator') OR has_role('analyst')) THEN
        RETURN;
    END IF;
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
