-- Learner conveniences: educators unlock a step and withdraw a learner (audited overrides), a withdrawn enrollment's
-- progress is frozen, enrollments listed per path, users and skills searched by text.

-- Two more audited kinds of override.
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT enrollment_overrides_kind_check;
ALTER TABLE hephaestus.enrollment_overrides ADD CONSTRAINT ck_enrollment_overrides_kind
    CHECK (kind IN ('skip', 'unskip', 'insert', 'goal', 'pace', 'migrate', 'unlock', 'withdraw'));

-- Steps an educator opened whatever their conditions say: the engine keeps them open (a hot column: re-evaluation and
-- `next` read it with the progress arrays).
ALTER TABLE hephaestus.enrollments ADD COLUMN unlocked_steps text[] NOT NULL DEFAULT '{}';

-- A withdrawn enrollment's steps no longer move: whatever path a write takes (a learner's step, an educator's override, a
-- result's re-evaluation), the database refuses to change its progress. Its goal and pace may still be edited.
CREATE FUNCTION hephaestus.refuse_withdrawn_progress() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog
    AS $$
BEGIN
    RAISE EXCEPTION 'enrollment % is withdrawn; its steps no longer change', OLD.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_enrollments_withdrawn_frozen';
END
$$;

CREATE TRIGGER enrollments_withdrawn_frozen BEFORE UPDATE OF step_status, step_scores, inserted_steps, unlocked_steps ON hephaestus.enrollments
    FOR EACH ROW
    WHEN (OLD.status = 'withdrawn' AND NEW.status = 'withdrawn'
          AND (NEW.step_status IS DISTINCT FROM OLD.step_status OR NEW.step_scores IS DISTINCT FROM OLD.step_scores
               OR NEW.inserted_steps IS DISTINCT FROM OLD.inserted_steps OR NEW.unlocked_steps IS DISTINCT FROM OLD.unlocked_steps))
    EXECUTE FUNCTION hephaestus.refuse_withdrawn_progress();

-- The enrollments of one path, keyset-paged by enrollment id (UUIDv7: enrollment order), optionally by status.
CREATE INDEX ix_enrollments_path ON hephaestus.enrollments (path_id, id) INCLUDE (status);

-- Text search of users (display name, email) and skills (code, title, description): a substring match (ILIKE), which a
-- trigram GIN index answers without reading the table. pg_trgm is a trusted contrib extension: the database owner may
-- create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
CREATE INDEX ix_users_search ON hephaestus.users
    USING gin ((lower(display_name) || ' ' || lower(email)) public.gin_trgm_ops);
CREATE INDEX ix_skills_search ON hephaestus.skills
    USING gin ((lower(code) || ' ' || lower(title) || ' ' || lower(coalesce(description, ''))) public.gin_trgm_ops);
