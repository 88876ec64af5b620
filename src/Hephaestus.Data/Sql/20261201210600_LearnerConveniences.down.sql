-- Reverts 20261201210600_LearnerConveniences. Fails while an override of the new kinds exists, which is the point: the
-- audit log is not rewritten to go down.

DROP INDEX hephaestus.ix_skills_search, hephaestus.ix_users_search, hephaestus.ix_enrollments_path;
DROP EXTENSION IF EXISTS pg_trgm;
DROP TRIGGER enrollments_withdrawn_frozen ON hephaestus.enrollments;
DROP FUNCTION hephaestus.refuse_withdrawn_progress();
ALTER TABLE hephaestus.enrollments DROP COLUMN unlocked_steps;
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT ck_enrollment_overrides_kind;
ALTER TABLE hephaestus.enrollment_overrides ADD CONSTRAINT enrollment_overrides_kind_check
    CHECK (kind IN ('skip', 'unskip', 'insert', 'goal', 'pace', 'migrate'));
