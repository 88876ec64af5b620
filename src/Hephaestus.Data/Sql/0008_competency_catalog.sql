-- The competency catalog API's database half: a scale whose levels learners' mastery was recorded against is frozen,
-- frameworks can be re-pointed to a new scale version (and recorded levels follow), skills in use cannot be deleted,
-- and the well-known default scale that a framework created without one uses.

-- Recorded mastery and evidence are learner-owned rows under row-level security, which an author cannot see; these
-- checks must see all of them, so they run with the owner's rights (search_path pinned, as in 0002).

-- A scale is in use when any learner has mastery or evidence recorded for a skill of a framework that uses it.
CREATE FUNCTION hephaestus.mastery_scale_in_use(scale uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT EXISTS (
            SELECT 1
            FROM competency_frameworks f
            JOIN skills s ON s.framework_id = f.id
            WHERE f.scale_id = scale
              AND (EXISTS (SELECT 1 FROM learner_skill_mastery m WHERE m.skill_id = s.id)
                   OR EXISTS (SELECT 1 FROM evidence e WHERE e.skill_id = s.id)))
    $$;

-- The lookups above (and the ON DELETE CASCADE from skills) go by skill; the primary key leads with learner_id.
CREATE INDEX ix_learner_skill_mastery_skill ON hephaestus.learner_skill_mastery (skill_id);

-- Levels of a scale in use never change: recorded level names and ranks would silently mean something else.
-- A new version of the scale is made instead (POST /mastery-scales/{id}/versions) and frameworks are re-pointed to it.
-- Known gap: the very first mastery or evidence of a scale not yet in use, committed while a level change of that scale
-- is in flight, is not serialized against it (the recorder does not lock the scale, and making it do so would put a
-- lock on a hot, shared row into every recording). Two level changes of one scale take turns on the scale row (API).
CREATE FUNCTION hephaestus.guard_mastery_levels_in_use() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    scale uuid := coalesce(NEW.scale_id, OLD.scale_id);
BEGIN
    IF TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
        RETURN NEW;
    END IF;
    -- A cascade from deleting the scale itself: the framework foreign key already refuses a scale in use.
    IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM hephaestus.mastery_scales WHERE id = scale) THEN
        RETURN OLD;
    END IF;
    IF hephaestus.mastery_scale_in_use(scale) THEN
        RAISE EXCEPTION 'mastery scale % is in use: its levels cannot change', scale
            USING ERRCODE = 'HE003', HINT = 'Create a new version of the scale and point frameworks to it.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER mastery_levels_frozen_in_use BEFORE INSERT OR UPDATE OR DELETE ON hephaestus.mastery_levels
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_mastery_levels_in_use();

-- When a framework moves to another scale (version), recorded mastery is re-classified on the new scale at once,
-- in the caller's transaction, exactly as MasteryRecorder classifies: the highest level whose threshold the value
-- reaches (else the lowest level), mastered when that level ranks at or above the mastery level. The value itself
-- (the method's output) does not depend on the scale, so nothing else changes.
CREATE FUNCTION hephaestus.reclassify_framework_mastery(framework uuid) RETURNS bigint
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

-- What keeps a skill (or any skill of its subtree, which a delete cascades to) from being deleted: learner records,
-- and catalog rows that refer to it, some without a foreign key (path steps refer by ref_id, arrays and unlock rules).
CREATE FUNCTION hephaestus.skill_subtree_references(root uuid) RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        WITH RECURSIVE subtree (id) AS (
            SELECT root
            UNION
            SELECT s.id FROM skills s JOIN subtree t ON s.parent_id = t.id
        ), ids AS (SELECT array_agg(id) AS all_ids FROM subtree)
        SELECT array_remove(ARRAY[
            CASE WHEN EXISTS (SELECT 1 FROM evidence e, ids WHERE e.skill_id = ANY (ids.all_ids)) THEN 'evidence' END,
            CASE WHEN EXISTS (SELECT 1 FROM learner_skill_mastery m, ids WHERE m.skill_id = ANY (ids.all_ids)) THEN 'learner mastery' END,
            CASE WHEN EXISTS (SELECT 1 FROM path_steps p, ids
                              WHERE p.ref_id = ANY (ids.all_ids) OR p.target_skill_ids && ids.all_ids
                                 OR EXISTS (SELECT 1 FROM unnest(ids.all_ids) AS i (id)
                                            WHERE jsonb_path_exists(p.unlock_rule, '$.**.skill ? (@ == $id)', jsonb_build_object('id', i.id::text))))
                 THEN 'path steps' END,
            CASE WHEN EXISTS (SELECT 1 FROM enrollments e CROSS JOIN LATERAL jsonb_array_elements(e.inserted_steps) AS x (step), ids
                              WHERE e.inserted_steps <> '[]'
                                AND ((x.step ->> 'refId')::uuid = ANY (ids.all_ids)
                                     OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(x.step -> 'targetSkillIds') AS t (id)
                                                WHERE t.id::uuid = ANY (ids.all_ids))))
                 THEN 'enrollment steps' END,
            CASE WHEN EXISTS (SELECT 1 FROM item_version_skills i, ids WHERE i.skill_id = ANY (ids.all_ids)) THEN 'items' END,
            CASE WHEN EXISTS (SELECT 1 FROM assessment_parts a, ids WHERE a.pool_skill_id = ANY (ids.all_ids)) THEN 'assessment pools' END,
            CASE WHEN EXISTS (SELECT 1 FROM rubric_criteria r, ids WHERE r.skill_id = ANY (ids.all_ids)) THEN 'rubric criteria' END
        ], NULL)
    $$;

-- The well-known default scale (Khan Academy's five levels), used by a framework created without a scale.
-- Its id is a constant the service knows (CompetencyDefaults.DefaultScaleId).
INSERT INTO hephaestus.mastery_scales (id, family_id, version, name)
VALUES ('00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000001', 1, 'Default (Khan Academy style)');
INSERT INTO hephaestus.mastery_levels (scale_id, rank, name, threshold, color, is_mastery) VALUES
    ('00000000-0000-7000-8000-000000000001', 0, 'not_started', 0,    '#d6d8da', false),
    ('00000000-0000-7000-8000-000000000001', 1, 'attempted',   0.01, '#f7a8a0', false),
    ('00000000-0000-7000-8000-000000000001', 2, 'familiar',    0.5,  '#f9b84a', false),
    ('00000000-0000-7000-8000-000000000001', 3, 'proficient',  0.8,  '#1865f2', false),
    ('00000000-0000-7000-8000-000000000001', 4, 'mastered',    0.95, '#9059ff', true);
