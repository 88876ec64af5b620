-- Issue 9, items 1–3: one mastery rule, how an assessment's attempts combine, and path steps that must point at something.

-- 1. "mastered" is the skill's own rule (Hephaestus.Domain.Mastery.MasteryParameters.IsMastered): the value reaches the
-- BKT threshold under BKT, the mastery points under every other method; no value is not mastered. It used to be "the
-- value's level ranks at or above the scale's mastery level", so rows written before this migration may disagree.
-- They are recomputed here, once, from what each row holds: its value and the method it was computed with, against
-- the skill's thresholds (the skill's parameters, else its framework's; absent fields take the defaults 0.95 and 0.75,
-- as MasteryParameters does). The stored value is rounded to 5 places, so a value within 0.000005 below a threshold
-- may read as reaching it; the next evidence on the skill recomputes it exactly.
UPDATE hephaestus.learner_skill_mastery m
SET mastered = fixed.mastered
FROM (
    SELECT m.learner_id, m.skill_id,
           coalesce(m.value >= CASE WHEN m.method = 'bkt'
                                    THEN coalesce((p.parameters ->> 'bktMasteryThreshold')::numeric, 0.95)
                                    ELSE coalesce((p.parameters ->> 'masteryPoints')::numeric, 0.75) END, false) AS mastered
    FROM hephaestus.learner_skill_mastery m
    JOIN hephaestus.skills s ON s.id = m.skill_id
    JOIN hephaestus.competency_frameworks f ON f.id = s.framework_id
    CROSS JOIN LATERAL (SELECT coalesce(s.mastery_parameters, f.mastery_parameters) AS parameters) p
) fixed
WHERE m.learner_id = fixed.learner_id AND m.skill_id = fixed.skill_id AND m.mastered IS DISTINCT FROM fixed.mastered;

-- Moving a framework to another scale re-classifies level names only: "mastered" does not depend on the scale.
CREATE OR REPLACE FUNCTION hephaestus.reclassify_framework_mastery(framework uuid) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
DECLARE
    changed bigint;
BEGIN
    IF NOT hephaestus.can_author() THEN
        RAISE EXCEPTION 'only authors and admins change a framework''s scale' USING ERRCODE = 'insufficient_privilege';
    END IF;
    WITH classified AS (
        SELECT m.learner_id, m.skill_id, level.rank, level.name
        FROM learner_skill_mastery m
        JOIN skills s ON s.id = m.skill_id AND s.framework_id = framework
        JOIN competency_frameworks f ON f.id = framework
        CROSS JOIN LATERAL (
            SELECT l.rank, l.name FROM mastery_levels l
            WHERE l.scale_id = f.scale_id
            ORDER BY (l.threshold <= m.value) DESC, CASE WHEN l.threshold <= m.value THEN -l.rank ELSE l.rank END
            LIMIT 1) level
        WHERE m.value IS NOT NULL
    )
    UPDATE learner_skill_mastery m
    SET level_rank = c.rank, level_name = c.name
    FROM classified c
    WHERE m.learner_id = c.learner_id AND m.skill_id = c.skill_id
      AND (m.level_rank, m.level_name) IS DISTINCT FROM (c.rank, c.name);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;

-- 3. How an assessment's attempts combine into the one score that paths (score ranges) and gradebooks use, as in
-- Canvas and Moodle: the highest (the default: a blank retake cannot undo a pass), the latest, the mean, or the first.
-- Mastery is not affected: every attempt stays evidence, and the skill's mastery method has its own rules.
ALTER TABLE hephaestus.assessments
    ADD COLUMN attempt_policy text NOT NULL DEFAULT 'highest'
        CONSTRAINT ck_assessments_attempt_policy CHECK (attempt_policy IN ('highest', 'latest', 'average', 'first'));

-- 2. A step's reference must exist. ref_id stays the one column the API writes; skill_id and assessment_id are ref_id
-- typed by kind (generated, so they cannot disagree with it) and carry the foreign keys. A content step's reference is
-- not checked yet: content items do not exist; the content issue adds content_id the same way.
-- A database that already holds a dangling reference cannot take the foreign keys. Rather than fail with PostgreSQL's
-- bare foreign key message (naming one row), the migration fails naming every such step, so an operator can fix or
-- delete them (a published version's steps cannot be edited: delete the step's version or point the rows at a real
-- skill or assessment as the owner) and migrate again.
DO $$
DECLARE
    dangling text;
BEGIN
    SELECT string_agg(format('path %s version %s step %s (%s %s)', v.path_id, v.version, s.step_key, s.kind, s.ref_id), '; '
                      ORDER BY v.path_id, v.version, s.position)
    INTO dangling
    FROM hephaestus.path_steps s
    JOIN hephaestus.path_versions v ON v.id = s.path_version_id
    WHERE (s.kind = 'skill' AND NOT EXISTS (SELECT 1 FROM hephaestus.skills k WHERE k.id = s.ref_id))
       OR (s.kind = 'assessment' AND NOT EXISTS (SELECT 1 FROM hephaestus.assessments a WHERE a.id = s.ref_id));
    IF dangling IS NOT NULL THEN
        RAISE EXCEPTION 'path steps refer to skills or assessments that do not exist: %', dangling
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'Fix or delete these steps (as the schema owner), then migrate again.';
    END IF;
END
$$;

ALTER TABLE hephaestus.path_steps
    ADD COLUMN skill_id uuid GENERATED ALWAYS AS (CASE WHEN kind = 'skill' THEN ref_id END) STORED
        CONSTRAINT fk_path_steps_skill REFERENCES hephaestus.skills (id),
    ADD COLUMN assessment_id uuid GENERATED ALWAYS AS (CASE WHEN kind = 'assessment' THEN ref_id END) STORED
        CONSTRAINT fk_path_steps_assessment REFERENCES hephaestus.assessments (id);

-- Deleting a skill or an assessment looks these up.
CREATE INDEX ix_path_steps_skill ON hephaestus.path_steps (skill_id) WHERE skill_id IS NOT NULL;
CREATE INDEX ix_path_steps_assessment ON hephaestus.path_steps (assessment_id) WHERE assessment_id IS NOT NULL;
