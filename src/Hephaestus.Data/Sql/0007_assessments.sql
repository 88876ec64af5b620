-- Item bank, assessments, attempts, results, the evidence log and rubric scoring.

-- Catalog -------------------------------------------------------------------------------------------------------------

CREATE TABLE hephaestus.items (
    id              uuid PRIMARY KEY,
    code            text UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    current_version integer NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Editing an item makes a new version; a version never changes, and results refer to the exact version answered.
CREATE TABLE hephaestus.item_versions (
    id          uuid PRIMARY KEY,
    item_id     uuid NOT NULL REFERENCES hephaestus.items (id) ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    type        text NOT NULL CHECK (type IN ('single_choice', 'multiple_choice', 'numeric', 'short_text', 'ordering')),
    -- The full definition, answer key included, validated per type at the edge (Hephaestus.Domain.Assessments).
    definition  jsonb NOT NULL CHECK (jsonb_typeof(definition) = 'object' AND definition ->> 'type' = type),
    points      numeric(8, 2) NOT NULL CHECK (points > 0),
    created_by  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (item_id, version)
);

CREATE TABLE hephaestus.item_version_skills (
    item_version_id uuid NOT NULL REFERENCES hephaestus.item_versions (id) ON DELETE CASCADE,
    skill_id        uuid NOT NULL REFERENCES hephaestus.skills (id),
    weight          numeric(5, 4) NOT NULL DEFAULT 1 CHECK (weight > 0 AND weight <= 1),
    PRIMARY KEY (item_version_id, skill_id)
);
CREATE INDEX ix_item_version_skills_skill ON hephaestus.item_version_skills (skill_id);

CREATE TABLE hephaestus.assessments (
    id          uuid PRIMARY KEY,
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    -- attemptsAllowed, timeLimitSeconds, passScore, feedback: validated at the edge.
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Composition: fixed items (optionally pinned to a version) and/or draws from a pool of items aligned to a skill.
CREATE TABLE hephaestus.assessment_parts (
    assessment_id uuid NOT NULL REFERENCES hephaestus.assessments (id) ON DELETE CASCADE,
    position      smallint NOT NULL CHECK (position >= 0),
    item_id       uuid REFERENCES hephaestus.items (id),
    item_version  integer,
    pool_skill_id uuid REFERENCES hephaestus.skills (id),
    pool_count    smallint CHECK (pool_count BETWEEN 1 AND 100),
    PRIMARY KEY (assessment_id, position),
    CHECK ((item_id IS NOT NULL) <> (pool_skill_id IS NOT NULL)),
    CHECK ((pool_skill_id IS NULL) = (pool_count IS NULL)),
    CHECK (item_version IS NULL OR item_id IS NOT NULL)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['items', 'item_versions', 'item_version_skills', 'assessments', 'assessment_parts']
    LOOP
        EXECUTE format('ALTER TABLE hephaestus.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR SELECT USING (hephaestus.is_signed_in())', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author())',
                       t || '_write', t);
    END LOOP;
END
$$;
-- Item versions are immutable for everyone but the owner (a key fix is a new version).
REVOKE UPDATE, DELETE ON hephaestus.item_versions, hephaestus.item_version_skills FROM hephaestus_app;

-- Learner state -------------------------------------------------------------------------------------------------------

CREATE TABLE hephaestus.attempts (
    learner_id      uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    assessment_id   uuid NOT NULL REFERENCES hephaestus.assessments (id),
    number          integer NOT NULL CHECK (number >= 1),
    status          text NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'submitted')),
    -- The exact item versions drawn for this attempt, in order.
    item_version_ids uuid[] NOT NULL,
    started_at      timestamptz NOT NULL DEFAULT now(),
    deadline_at     timestamptz,
    submitted_at    timestamptz,
    PRIMARY KEY (learner_id, id),
    -- The attempt limit counts attempt numbers: two concurrent starts cannot both take the same number.
    UNIQUE (learner_id, assessment_id, number),
    CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
);

CREATE TABLE hephaestus.attempt_responses (
    learner_id      uuid NOT NULL,
    attempt_id      uuid NOT NULL,
    item_version_id uuid NOT NULL REFERENCES hephaestus.item_versions (id),
    response        jsonb NOT NULL,
    saved_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, attempt_id, item_version_id),
    FOREIGN KEY (learner_id, attempt_id) REFERENCES hephaestus.attempts (learner_id, id) ON DELETE CASCADE
);

-- A result is never updated: a regrade appends the next revision.
CREATE TABLE hephaestus.results (
    learner_id   uuid NOT NULL,
    id           uuid NOT NULL,
    attempt_id   uuid NOT NULL,
    revision     integer NOT NULL CHECK (revision >= 1),
    score        numeric(7, 6) NOT NULL CHECK (score BETWEEN 0 AND 1),
    points       numeric(10, 2) NOT NULL,
    max_points   numeric(10, 2) NOT NULL CHECK (max_points > 0),
    passed       boolean,
    item_scores  jsonb NOT NULL,
    reason       text NOT NULL CHECK (reason IN ('submitted', 'regraded')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, id),
    UNIQUE (learner_id, attempt_id, revision),
    FOREIGN KEY (learner_id, attempt_id) REFERENCES hephaestus.attempts (learner_id, id) ON DELETE CASCADE
);

-- Retried submissions: the same key returns the first response; the row commits with the work it describes.
CREATE TABLE hephaestus.idempotency_keys (
    learner_id      uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 200),
    scope           text NOT NULL,
    request_hash    bytea NOT NULL,
    response_status integer NOT NULL,
    -- The exact bytes sent the first time (jsonb would reorder keys and respace them).
    response_body   text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, key)
);

CREATE TABLE hephaestus.rubric_assessments (
    learner_id   uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    rubric_id    uuid NOT NULL REFERENCES hephaestus.rubrics (id),
    assessor_id  uuid NOT NULL,
    -- What was assessed (a submission, a project): free reference.
    subject      text,
    ratings      jsonb NOT NULL CHECK (jsonb_typeof(ratings) = 'array'),
    points       numeric(10, 2) NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, id)
);

-- Every observation, appended, never updated or deleted by the application.
CREATE TABLE hephaestus.evidence (
    learner_id        uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    id                uuid NOT NULL,
    skill_id          uuid NOT NULL REFERENCES hephaestus.skills (id),
    score             numeric(6, 5) NOT NULL CHECK (score BETWEEN 0 AND 1),
    weight            numeric(6, 4) NOT NULL DEFAULT 1 CHECK (weight > 0),
    observed_at       timestamptz NOT NULL,
    due_at            timestamptz,
    source            text NOT NULL CHECK (source IN ('item_response', 'rubric', 'event')),
    attempt_id        uuid,
    result_id         uuid,
    item_version_id   uuid REFERENCES hephaestus.item_versions (id),
    rubric_assessment_id uuid,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    -- Position of this observation among the learner's observations of the skill, in the order they were applied
    -- (under the mastery row's lock): breaks ties of observed_at so that a replay folds in the same order.
    skill_seq         integer NOT NULL CHECK (skill_seq >= 1),
    PRIMARY KEY (learner_id, id),
    UNIQUE (learner_id, skill_id, skill_seq),
    FOREIGN KEY (learner_id, result_id) REFERENCES hephaestus.results (learner_id, id) ON DELETE CASCADE,
    FOREIGN KEY (learner_id, rubric_assessment_id) REFERENCES hephaestus.rubric_assessments (learner_id, id) ON DELETE CASCADE,
    CHECK ((source = 'item_response') = (result_id IS NOT NULL AND item_version_id IS NOT NULL)),
    CHECK ((source = 'rubric') = (rubric_assessment_id IS NOT NULL))
);
-- Replay reads one learner's evidence for one skill in order.
CREATE INDEX ix_evidence_learner_skill_time ON hephaestus.evidence (learner_id, skill_id, observed_at, skill_seq);
-- Fitting reads one skill's evidence across learners.
CREATE INDEX ix_evidence_skill ON hephaestus.evidence (skill_id, learner_id, observed_at);

REVOKE UPDATE, DELETE ON hephaestus.results, hephaestus.evidence, hephaestus.rubric_assessments FROM hephaestus_app;


DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['attempts', 'attempt_responses', 'results', 'idempotency_keys', 'rubric_assessments', 'evidence']
    LOOP
        EXECUTE format('ALTER TABLE hephaestus.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR SELECT USING (hephaestus.can_read_learner(learner_id))', t || '_read', t);
        -- Educators write rubric scores and their evidence for their cohorts' learners; learners their own attempts.
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR INSERT WITH CHECK (hephaestus.can_write_learner(learner_id) OR hephaestus.can_teach_learner(learner_id))', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR UPDATE USING (hephaestus.can_write_learner(learner_id))', t || '_update', t);
    END LOOP;
END
$$;
