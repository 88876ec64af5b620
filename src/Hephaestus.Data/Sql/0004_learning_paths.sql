-- Learning paths: versioned definitions (catalog) and per-learner enrollments (learner-scoped, sharded by learner_id).

CREATE TABLE hephaestus.learning_paths (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hephaestus.path_versions (
    id           uuid PRIMARY KEY,
    path_id      uuid NOT NULL REFERENCES hephaestus.learning_paths (id) ON DELETE CASCADE,
    version      integer NOT NULL CHECK (version >= 1),
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'retired')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    retired_at   timestamptz,
    UNIQUE (path_id, version),
    UNIQUE (path_id, id),
    CHECK ((status = 'draft') = (published_at IS NULL)),
    CHECK ((status = 'retired') = (retired_at IS NOT NULL))
);
-- One draft at a time per path: the next version is edited in one place.
CREATE UNIQUE INDEX ux_path_versions_one_draft ON hephaestus.path_versions (path_id) WHERE status = 'draft';

CREATE TABLE hephaestus.path_steps (
    id                uuid PRIMARY KEY,
    path_version_id   uuid NOT NULL REFERENCES hephaestus.path_versions (id) ON DELETE CASCADE,
    -- Stable across versions: progress moves to a new version by step key.
    step_key          text NOT NULL CHECK (step_key ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    kind              text NOT NULL CHECK (kind IN ('skill', 'content', 'assessment')),
    ref_id            uuid NOT NULL,
    title             text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    position          integer NOT NULL CHECK (position >= 0),
    -- The skills this step teaches or measures (for a skill step, the skill itself); placement and ranking read them.
    target_skill_ids  uuid[] NOT NULL DEFAULT '{}',
    -- AND/OR tree of conditions, validated at the edge (see Hephaestus.Domain.Paths.UnlockRuleParser); NULL = none.
    unlock_rule       jsonb CHECK (unlock_rule IS NULL OR jsonb_typeof(unlock_rule) = 'object'),
    estimated_minutes integer CHECK (estimated_minutes > 0),
    UNIQUE (path_version_id, step_key),
    UNIQUE (path_version_id, id),
    CONSTRAINT ux_path_steps_position UNIQUE (path_version_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CHECK (kind <> 'skill' OR target_skill_ids = ARRAY[ref_id])
);

CREATE TABLE hephaestus.path_step_prerequisites (
    path_version_id      uuid NOT NULL,
    step_id              uuid NOT NULL,
    prerequisite_step_id uuid NOT NULL,
    PRIMARY KEY (path_version_id, step_id, prerequisite_step_id),
    -- Both ends in the same version.
    FOREIGN KEY (path_version_id, step_id) REFERENCES hephaestus.path_steps (path_version_id, id) ON DELETE CASCADE,
    FOREIGN KEY (path_version_id, prerequisite_step_id) REFERENCES hephaestus.path_steps (path_version_id, id) ON DELETE CASCADE,
    CHECK (step_id <> prerequisite_step_id)
);

-- Same rule and same locking as the skill prerequisite DAG, per version.
CREATE FUNCTION hephaestus.check_step_prerequisite_acyclic() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    cycle uuid[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('hephaestus.path_step_prerequisites'), hashtext(NEW.path_version_id::text));
    WITH RECURSIVE walk (node, path) AS (
        SELECT NEW.prerequisite_step_id, ARRAY[NEW.step_id, NEW.prerequisite_step_id]
        UNION ALL
        SELECT p.prerequisite_step_id, w.path || p.prerequisite_step_id
        FROM walk w
        JOIN hephaestus.path_step_prerequisites p ON p.path_version_id = NEW.path_version_id AND p.step_id = w.node
        WHERE NOT p.prerequisite_step_id = ANY (w.path[2:])
    )
    SELECT path INTO cycle FROM walk WHERE node = NEW.step_id ORDER BY cardinality(path) LIMIT 1;
    IF cycle IS NOT NULL THEN
        RAISE EXCEPTION 'step prerequisite % -> % would close a cycle', NEW.step_id, NEW.prerequisite_step_id
            USING ERRCODE = 'HE001', HINT = array_to_json(cycle)::text;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER path_step_prerequisites_acyclic BEFORE INSERT OR UPDATE ON hephaestus.path_step_prerequisites
    FOR EACH ROW EXECUTE FUNCTION hephaestus.check_step_prerequisite_acyclic();

-- A published (or retired) version never changes: enforced here, whatever path the write takes.
CREATE FUNCTION hephaestus.guard_frozen_path_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    version_id uuid;
    version_status text;
BEGIN
    IF TG_TABLE_NAME = 'path_versions' THEN
        IF TG_OP = 'DELETE' THEN
            IF OLD.status <> 'draft' THEN
                RAISE EXCEPTION 'path version % is %; it cannot be deleted', OLD.id, OLD.status
                    USING ERRCODE = 'HE002';
            END IF;
            RETURN OLD;
        END IF;
        -- Allowed: draft -> published, published -> retired; nothing else about a frozen version changes.
        IF OLD.status <> 'draft' AND (
               NEW.path_id <> OLD.path_id OR NEW.version <> OLD.version OR NEW.published_at IS DISTINCT FROM OLD.published_at
               OR NOT (NEW.status = OLD.status OR (OLD.status = 'published' AND NEW.status = 'retired'))
               OR (NEW.status = OLD.status AND NEW.retired_at IS DISTINCT FROM OLD.retired_at)) THEN
            RAISE EXCEPTION 'path version % is %; it cannot be changed', OLD.id, OLD.status USING ERRCODE = 'HE002';
        END IF;
        RETURN NEW;
    END IF;

    version_id := CASE WHEN TG_OP = 'DELETE' THEN OLD.path_version_id ELSE NEW.path_version_id END;
    SELECT status INTO version_status FROM hephaestus.path_versions WHERE id = version_id FOR SHARE;
    IF version_status IS DISTINCT FROM 'draft' AND version_status IS NOT NULL THEN
        RAISE EXCEPTION 'path version % is %; its steps cannot be changed', version_id, version_status
            USING ERRCODE = 'HE002';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.path_version_id <> NEW.path_version_id THEN
        RAISE EXCEPTION 'a step cannot move to another version' USING ERRCODE = 'HE002';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER path_versions_frozen BEFORE UPDATE OR DELETE ON hephaestus.path_versions
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_frozen_path_version();
CREATE TRIGGER path_steps_frozen BEFORE INSERT OR UPDATE OR DELETE ON hephaestus.path_steps
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_frozen_path_version();
CREATE TRIGGER path_step_prerequisites_frozen BEFORE INSERT OR UPDATE OR DELETE ON hephaestus.path_step_prerequisites
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_frozen_path_version();

-- Learner state. Every table carries learner_id first in its primary key; foreign keys between them include it.

-- Current mastery per learner and skill: written by the assessments feature in the same transaction as the evidence
-- that changed it; read here to unlock and rank steps.
CREATE TABLE hephaestus.learner_skill_mastery (
    learner_id       uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    skill_id         uuid NOT NULL REFERENCES hephaestus.skills (id) ON DELETE CASCADE,
    value            numeric(6, 5) CHECK (value BETWEEN 0 AND 1),
    level_rank       smallint,
    level_name       text,
    mastered         boolean NOT NULL DEFAULT false,
    evidence_count   integer NOT NULL DEFAULT 0 CHECK (evidence_count >= 0),
    last_evidence_at timestamptz,
    method           text NOT NULL DEFAULT 'bkt',
    state            jsonb NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, skill_id)
);

-- Progress lives on the enrollment row, in the order of the version's steps (path_steps.position 0..n-1), followed by
-- the steps an educator inserted for this learner (inserted_steps, in insertion order):
--   step_status  smallint[]: 0 locked, 1 available, 2 in_progress, 3 completed, 4 skipped;
--   step_scores  real[]: the latest score (0..1) of an assessment step, NULL elsewhere;
--   step_notes   jsonb: step key -> {"reason", "updatedAt"} of the last status change (cold: read by the enrollment's
--                full view and exports, never by `next` or re-evaluation; a locked step's conditions are computed live).
-- One narrow row per learner and path instead of one row per step: `next` and a re-evaluation read and lock one row
-- whose hot part is a few hundred bytes (a keyed JSON map of 200 states costs milliseconds just to print), and 100,000
-- learners on a 200-step path are 100,000 rows, not 20 million. The view enrollment_step_states shows it row by row.
CREATE TABLE hephaestus.enrollments (
    learner_id       uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    id               uuid NOT NULL,
    path_id          uuid NOT NULL,
    path_version_id  uuid NOT NULL,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'withdrawn')),
    goal             text CHECK (char_length(goal) <= 500),
    pace_minutes_per_week integer CHECK (pace_minutes_per_week > 0),
    target_date      date,
    step_status      smallint[] NOT NULL DEFAULT '{}',
    step_scores      real[] NOT NULL DEFAULT '{}',
    step_notes       jsonb NOT NULL DEFAULT '{}',
    inserted_steps   jsonb NOT NULL DEFAULT '[]',
    enrolled_at      timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (learner_id, id),
    -- Once per path: enrolling again is idempotent; a new version is reached by migration, not a second enrollment.
    UNIQUE (learner_id, path_id),
    FOREIGN KEY (path_id, path_version_id) REFERENCES hephaestus.path_versions (path_id, id),
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CONSTRAINT ck_enrollments_step_status CHECK (
        step_status <@ ARRAY[0, 1, 2, 3, 4]::smallint[] AND array_position(step_status, NULL) IS NULL
        AND coalesce(array_ndims(step_status), 1) = 1),
    CONSTRAINT ck_enrollments_step_scores CHECK (
        cardinality(step_scores) = cardinality(step_status) AND 0 <= ALL (array_remove(step_scores, NULL))
        AND 1 >= ALL (array_remove(step_scores, NULL))),
    CONSTRAINT ck_enrollments_step_notes CHECK (jsonb_typeof(step_notes) = 'object'),
    -- Every inserted step has a key, a kind, a reference and a title.
    CONSTRAINT ck_enrollments_inserted_steps CHECK (
        jsonb_typeof(inserted_steps) = 'array'
        AND NOT jsonb_path_exists(inserted_steps, '$[*] ? (!exists(@.key) || !exists(@.refId) || !exists(@.title) || !(@.kind == "skill" || @.kind == "content" || @.kind == "assessment"))'))
);
CREATE INDEX ix_enrollments_version ON hephaestus.enrollments (path_version_id, learner_id);
-- The few enrollments with educator inserts, for the catalog's "is this skill still referenced" check.
CREATE INDEX ix_enrollments_with_inserts ON hephaestus.enrollments (learner_id) WHERE inserted_steps <> '[]';

-- Learners join (or move to) published versions only; a draft can still change and a retired one takes no one new.
-- FOR SHARE makes a concurrent retirement wait for this enrollment (or this enrollment see it retired). SECURITY
-- DEFINER because row locks need more than the read access a learner has to the catalog.
CREATE FUNCTION hephaestus.check_enrollment_version() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.path_version_id = OLD.path_version_id THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM hephaestus.path_versions WHERE id = NEW.path_version_id AND status = 'published' FOR SHARE) THEN
        RAISE EXCEPTION 'path version % is not published; learners enroll in published versions only', NEW.path_version_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_enrollments_published_version';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER enrollments_published_version BEFORE INSERT OR UPDATE OF path_version_id ON hephaestus.enrollments
    FOR EACH ROW EXECUTE FUNCTION hephaestus.check_enrollment_version();

-- Each enrollment's progress as one row per step (for analytics, exports and educators' views). security_invoker: the
-- reader's row-level security applies, as on the table.
CREATE VIEW hephaestus.enrollment_step_states WITH (security_invoker = true) AS
    SELECT e.learner_id, e.id AS enrollment_id, e.path_id, e.path_version_id,
           coalesce(ps.step_key, e.inserted_steps -> (s.ord - 1 - v.step_count)::int ->> 'key') AS step_key,
           ps.id AS path_step_id,
           s.ord - 1 AS step_index,
           (ARRAY['locked', 'available', 'in_progress', 'completed', 'skipped'])[s.code + 1] AS status,
           e.step_scores[s.ord] AS score,
           e.step_notes -> coalesce(ps.step_key, e.inserted_steps -> (s.ord - 1 - v.step_count)::int ->> 'key') ->> 'reason' AS reason,
           (e.step_notes -> coalesce(ps.step_key, e.inserted_steps -> (s.ord - 1 - v.step_count)::int ->> 'key') ->> 'updatedAt')::timestamptz AS updated_at
    FROM hephaestus.enrollments e
    CROSS JOIN LATERAL (SELECT count(*)::int AS step_count FROM hephaestus.path_steps WHERE path_version_id = e.path_version_id) v
    CROSS JOIN LATERAL unnest(e.step_status) WITH ORDINALITY AS s (code, ord)
    LEFT JOIN hephaestus.path_steps ps ON ps.path_version_id = e.path_version_id AND ps.position = s.ord - 1;
GRANT SELECT ON hephaestus.enrollment_step_states TO hephaestus_app;

-- Every educator or admin override and every move to a new version, with who, when and why. Append-only: the
-- application role may not change it.
CREATE TABLE hephaestus.enrollment_overrides (
    learner_id     uuid NOT NULL,
    id             uuid NOT NULL,
    enrollment_id  uuid NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('skip', 'unskip', 'insert', 'goal', 'pace', 'migrate')),
    step_key       text,
    payload        jsonb NOT NULL DEFAULT '{}',
    reason         text NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 2000),
    actor_id       uuid NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, id),
    FOREIGN KEY (learner_id, enrollment_id) REFERENCES hephaestus.enrollments (learner_id, id) ON DELETE CASCADE
);
CREATE INDEX ix_enrollment_overrides_enrollment ON hephaestus.enrollment_overrides (learner_id, enrollment_id, created_at);
REVOKE UPDATE, DELETE ON hephaestus.enrollment_overrides FROM hephaestus_app;

-- Catalog: readable by the signed-in, written by authors and admins.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['learning_paths', 'path_versions', 'path_steps', 'path_step_prerequisites']
    LOOP
        EXECUTE format('ALTER TABLE hephaestus.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR SELECT USING (hephaestus.is_signed_in())', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author())',
                       t || '_write', t);
    END LOOP;
END
$$;

-- Educators write progress of the learners of their cohorts (overrides); the learner writes their own.
CREATE FUNCTION hephaestus.can_teach_learner(learner uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.has_role('admin') OR (hephaestus.has_role('educator') AND hephaestus.educates(learner)) $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['learner_skill_mastery', 'enrollments', 'enrollment_overrides']
    LOOP
        EXECUTE format('ALTER TABLE hephaestus.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR SELECT USING (hephaestus.can_read_learner(learner_id))', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR INSERT WITH CHECK (hephaestus.can_write_learner(learner_id) OR hephaestus.can_teach_learner(learner_id))', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR UPDATE USING (hephaestus.can_write_learner(learner_id) OR hephaestus.can_teach_learner(learner_id))', t || '_update', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR DELETE USING (hephaestus.can_write_learner(learner_id))', t || '_delete', t);
    END LOOP;
END
$$;
