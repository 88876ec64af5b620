-- What a submission costs the database (issue 13, part 2). Two statements of every submission were planned afresh on
-- every call, which cost more than all its other statements together (pg_stat_statements with track_planning):
--
-- 1. The item analysis refresh read item_analysis_counted(learner, assessment), whose "NULL means all" filters
--    (p IS NULL OR column = p) leave a generic plan no index to use, so PostgreSQL chose a custom plan, planned anew,
--    for every execution of the prepared statement. The rule now lives in a view; a learner's refresh filters it on
--    the view's columns (pushed down to the attempts' primary key, into the window's partition), which a generic plan
--    can use; item_analysis_counted keeps its "NULL means all" signature for the backfill, the policy trigger, the
--    bench's naive query and the tests, and reads the same view, so the rule is written once.
-- 2. attempt_item_definitions is a SECURITY DEFINER SQL function, which PostgreSQL never inlines and plans on every call
--    (SQL functions keep no plans before PostgreSQL 18); in PL/pgSQL its one query is planned once per connection.

-- security_invoker: the row-level security of attempts and results applies to whoever reads the view, as it did to
-- the function's callers.
CREATE VIEW hephaestus.item_analysis_counted_attempts WITH (security_invoker = true) AS
    SELECT c.learner_id, c.assessment_id, c.attempt_id, c.result_id, c.points AS total, c.max_points AS max_total,
           ARRAY(SELECT (e ->> 'itemVersionId')::uuid FROM jsonb_array_elements(c.item_scores) WITH ORDINALITY AS s (e, i) ORDER BY s.i) AS item_version_ids,
           ARRAY(SELECT (e ->> 'points')::numeric FROM jsonb_array_elements(c.item_scores) WITH ORDINALITY AS s (e, i) ORDER BY s.i) AS marks
    FROM (
        SELECT a.learner_id, a.assessment_id, a.id AS attempt_id, s.attempt_policy, r.id AS result_id, r.points, r.max_points, r.item_scores,
               row_number() OVER (PARTITION BY a.learner_id, a.assessment_id ORDER BY r.score DESC, a.number) AS best,
               row_number() OVER (PARTITION BY a.learner_id, a.assessment_id ORDER BY a.number DESC) AS last,
               row_number() OVER (PARTITION BY a.learner_id, a.assessment_id ORDER BY a.number) AS first
        FROM hephaestus.attempts a
        JOIN hephaestus.assessments s ON s.id = a.assessment_id
        CROSS JOIN LATERAL (
            SELECT r.id, r.score, r.points, r.max_points, r.item_scores FROM hephaestus.results r
            WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id
            ORDER BY r.revision DESC LIMIT 1) r
    ) c
    WHERE CASE c.attempt_policy WHEN 'highest' THEN c.best = 1 WHEN 'latest' THEN c.last = 1 WHEN 'first' THEN c.first = 1 ELSE true END;
GRANT SELECT ON hephaestus.item_analysis_counted_attempts TO hephaestus_app;

CREATE OR REPLACE FUNCTION hephaestus.item_analysis_counted(p_learner uuid, p_assessment uuid)
    RETURNS TABLE (learner_id uuid, assessment_id uuid, attempt_id uuid, result_id uuid, total numeric, max_total numeric,
                   item_version_ids uuid[], marks numeric[])
    LANGUAGE sql STABLE
    AS $$
        SELECT c.learner_id, c.assessment_id, c.attempt_id, c.result_id, c.total, c.max_total, c.item_version_ids, c.marks
        FROM hephaestus.item_analysis_counted_attempts c
        WHERE (p_learner IS NULL OR c.learner_id = p_learner) AND (p_assessment IS NULL OR c.assessment_id = p_assessment)
    $$;

CREATE OR REPLACE FUNCTION hephaestus.attempt_item_definitions(learner uuid, attempt uuid) RETURNS TABLE (id uuid, definition jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
    BEGIN
        RETURN QUERY
        SELECT v.id, v.definition
        FROM attempts a JOIN item_versions v ON v.id = ANY (a.item_version_ids)
        WHERE a.learner_id = attempt_item_definitions.learner AND a.id = attempt_item_definitions.attempt
          AND in_learner_record() AND can_read_learner(a.learner_id);
    END
    $$;
