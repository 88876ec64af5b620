-- Every free-text column has a maximum length, as the edge has for its field: what the API refuses with a 400 naming
-- the field, the database refuses too, whoever writes. Lengths are characters (char_length), as the edge counts them.
-- NOT VALID: the constraint holds for every row inserted or updated from now on, without a scan of the table under an
-- exclusive lock; rows written before, when some of these fields had no limit, are left as they are
-- (docs/operations.md says how to validate them once they fit).

ALTER TABLE hephaestus.cohorts
    ADD CONSTRAINT ck_cohorts_description_length CHECK (char_length(description) <= 2000) NOT VALID;

ALTER TABLE hephaestus.users
    ADD CONSTRAINT ck_users_locale_length CHECK (char_length(locale) <= 35) NOT VALID,
    ADD CONSTRAINT ck_users_time_zone_length CHECK (char_length(time_zone) <= 64) NOT VALID;

ALTER TABLE hephaestus.competency_frameworks
    ADD CONSTRAINT ck_competency_frameworks_description_length CHECK (char_length(description) <= 5000) NOT VALID;

ALTER TABLE hephaestus.skills
    ADD CONSTRAINT ck_skills_description_length CHECK (char_length(description) <= 5000) NOT VALID;

ALTER TABLE hephaestus.learning_paths
    ADD CONSTRAINT ck_learning_paths_description_length CHECK (char_length(description) <= 5000) NOT VALID;

ALTER TABLE hephaestus.rubric_criteria
    ADD CONSTRAINT ck_rubric_criteria_long_description_length CHECK (char_length(long_description) <= 5000) NOT VALID;

ALTER TABLE hephaestus.rubric_assessments
    ADD CONSTRAINT ck_rubric_assessments_subject_length CHECK (char_length(subject) <= 500) NOT VALID;

ALTER TABLE hephaestus.enrollment_overrides
    ADD CONSTRAINT ck_enrollment_overrides_step_key_length CHECK (char_length(step_key) <= 64) NOT VALID;
