-- Reverts 20261201210400_TextLimits: the length limits on free text go; the columns and their data stay.

ALTER TABLE hephaestus.cohorts DROP CONSTRAINT ck_cohorts_description_length;
ALTER TABLE hephaestus.users DROP CONSTRAINT ck_users_locale_length, DROP CONSTRAINT ck_users_time_zone_length;
ALTER TABLE hephaestus.competency_frameworks DROP CONSTRAINT ck_competency_frameworks_description_length;
ALTER TABLE hephaestus.skills DROP CONSTRAINT ck_skills_description_length;
ALTER TABLE hephaestus.learning_paths DROP CONSTRAINT ck_learning_paths_description_length;
ALTER TABLE hephaestus.rubric_criteria DROP CONSTRAINT ck_rubric_criteria_long_description_length;
ALTER TABLE hephaestus.rubric_assessments DROP CONSTRAINT ck_rubric_assessments_subject_length;
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT ck_enrollment_overrides_step_key_length;
