-- Reverts 20261201210200_AttemptPolicyAndStepRefs. The "mastered" flags it recomputed stay as they are (they are right);
-- the framework reclassification goes back to deciding "mastered" by the scale's mastery level.

DROP INDEX hephaestus.ix_path_steps_assessment;
DROP INDEX hephaestus.ix_path_steps_skill;
ALTER TABLE hephaestus.path_steps DROP COLUMN assessment_id, DROP COLUMN skill_id;
ALTER TABLE hephaestus.assessments DROP COLUMN attempt_policy;

CREATE OR REPLACE FUNCTION hephaestus.reclassify_framework_mastery(framework uuid) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
DECLARE
    changed bigint;
BEGIN
    IF NOT hephaestus.can_author() THEN
        RAISE EXCEPTION 'only authors and admins change a framework''s scale' USING ERRCODE = 'insufficient_privilege';
    END IF;
    WITH scale AS (
        SELECT f.scale_id,
               (SELECT l.rank FROM mastery_levels l WHERE l.scale_id = f.scale_id AND l.is_mastery) AS mastery_rank
        FROM competency_frameworks f WHERE f.id = framework
    ), classified AS (
        SELECT m.learner_id, m.skill_id, level.rank, level.name, level.rank >= scale.mastery_rank AS mastered
        FROM learner_skill_mastery m
        JOIN skills s ON s.id = m.skill_id AND s.framework_id = framework
        CROSS JOIN scale
        CROSS JOIN LATERAL (
            SELECT l.rank, l.name FROM mastery_levels l
            WHERE l.scale_id = scale.scale_id
            ORDER BY (l.threshold <= m.value) DESC, CASE WHEN l.threshold <= m.value THEN -l.rank ELSE l.rank END
            LIMIT 1) level
        WHERE m.value IS NOT NULL
    )
    UPDATE learner_skill_mastery m
    SET level_rank = c.rank, level_name = c.name, mastered = c.mastered
    FROM classified c
    WHERE m.learner_id = c.learner_id AND m.skill_id = c.skill_id
      AND (m.level_rank, m.level_name, m.mastered) IS DISTINCT FROM (c.rank, c.name, c.mastered);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
