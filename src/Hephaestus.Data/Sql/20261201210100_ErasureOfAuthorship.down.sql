-- Reverts 20261201210100_ErasureOfAuthorship. The columns were NOT NULL before: a row whose author was erased (or an
-- operator's override) gets the nil id, which names no user, so going down restores no erased person's id.

DROP FUNCTION hephaestus.rubric_assessments_by(uuid), hephaestus.enrollment_overrides_by(uuid), hephaestus.item_versions_by(uuid);

ALTER TABLE hephaestus.item_versions DROP CONSTRAINT fk_item_versions_created_by;
DROP INDEX hephaestus.ix_item_versions_created_by;
COMMENT ON COLUMN hephaestus.item_versions.created_by IS NULL;

DROP TRIGGER enrollment_overrides_actor_erased ON hephaestus.enrollment_overrides;
DROP FUNCTION hephaestus.mark_override_actor_erased();
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT fk_enrollment_overrides_actor;
DROP INDEX hephaestus.ix_enrollment_overrides_actor;
UPDATE hephaestus.enrollment_overrides SET actor_id = '00000000-0000-0000-0000-000000000000' WHERE actor_id IS NULL;
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT ck_enrollment_overrides_erased_actor_unnamed,
    DROP COLUMN actor_erased, ALTER COLUMN actor_id SET NOT NULL;
COMMENT ON COLUMN hephaestus.enrollment_overrides.actor_id IS NULL;

ALTER TABLE hephaestus.rubric_assessments DROP CONSTRAINT fk_rubric_assessments_assessor;
DROP INDEX hephaestus.ix_rubric_assessments_assessor;
UPDATE hephaestus.rubric_assessments SET assessor_id = '00000000-0000-0000-0000-000000000000' WHERE assessor_id IS NULL;
ALTER TABLE hephaestus.rubric_assessments ALTER COLUMN assessor_id SET NOT NULL;
COMMENT ON COLUMN hephaestus.rubric_assessments.assessor_id IS NULL;
