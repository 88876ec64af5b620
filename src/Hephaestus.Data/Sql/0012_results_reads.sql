-- Reading results back: an assessment's attempts, keyset-paged by attempt id (GET /assessments/{id}/results). The
-- primary key (learner_id, id) serves a learner's list and the gradebooks; this serves the per-assessment list, which
-- would otherwise read every attempt of every learner.
CREATE INDEX ix_attempts_assessment ON hephaestus.attempts (assessment_id, id);
