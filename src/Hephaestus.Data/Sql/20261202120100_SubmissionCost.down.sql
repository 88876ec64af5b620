-- Reverts Sql/0036_submission_cost.sql: the functions as 0026_item_analysis.sql and 0009_defence_in_depth.sql made them.
CREATE OR REPLACE FUNCTION hephaestus.attempt_item_definitions(learner uuid, attempt uuid) RETURNS TABLE (id uuid, definition jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT v.id, v.definition
        FROM attempts a JOIN item_versions v ON v.id = ANY (a.item_version_ids)
        WHERE a.learner_id = attempt_item_definitions.learner AND a.id = attempt_item_definitions.attempt
          AND in_learner_record() AND can_read_learner(a.learner_id)
    $$;

CREATE OR REPLACE FUNCTION hephaestus.item_analysis_counted(p_learner uuid, p_assessment uuid)
    RETURNS TABLE (learner_id uuid, assessment_id uuid, attempt_id uuid, result_id uuid, total numeric, max_total numeric,
                   item_version_ids uuid[], marks numeric[])
    LANGUAGE sql STABLE
    AS $$
        SELECT c.learner_id, c.assessment_id, c.attempt_id, c.result_id, c.points, c.max_points,
               ARRAY(SELECT (e ->> 'itemVersionId')::uuid FROM jsonb_array_elements(c.item_scores) WITH ORDINALITY AS s (e, i) ORDER BY s.i),
               ARRAY(SELECT (e ->> 'points')::numeric FROM jsonb_array_elements(c.item_scores) WITH ORDINALITY AS s (e, i) ORDER BY s.i)
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
            WHERE (p_learner IS NULL OR a.learner_id = p_learner) AND (p_assessment IS NULL OR a.assessment_id = p_assessment)
        ) c
        WHERE CASE c.attempt_policy WHEN 'highest' THEN c.best = 1 WHEN 'latest' THEN c.last = 1 WHEN 'first' THEN c.first = 1 ELSE true END
    $$;

DROP VIEW hephaestus.item_analysis_counted_attempts;
