-- Browsing and editing the bank: item tags and text search, assessment descriptions, versions, retirement,
-- availability windows and due dates, and late submissions.

-- Items ---------------------------------------------------------------------------------------------------------------

-- Tags organise the bank; they are not scored, so they live on the item, not on its immutable versions.
ALTER TABLE hephaestus.items
    ADD COLUMN tags text[] NOT NULL DEFAULT '{}'
        CONSTRAINT ck_items_tags CHECK (cardinality(tags) <= 50 AND array_position(tags, NULL) IS NULL);
CREATE INDEX ix_items_tags ON hephaestus.items USING gin (tags);

-- Text search over an item's stem. Built-in full text search rather than pg_trgm: no extension to install (the schema
-- uses none, and an external database may not allow one), stemming finds "fractions" for "fraction", and
-- websearch_to_tsquery accepts anything a user types. Queries must use this very expression to use the index.
CREATE INDEX ix_item_versions_prompt_search ON hephaestus.item_versions
    USING gin (to_tsvector('english', coalesce(definition ->> 'prompt', '')));

-- Assessments ---------------------------------------------------------------------------------------------------------

ALTER TABLE hephaestus.assessments
    ADD COLUMN description     text CONSTRAINT ck_assessments_description CHECK (char_length(description) <= 4000),
    -- The current version: what new attempts take.
    ADD COLUMN version         integer NOT NULL DEFAULT 1 CONSTRAINT ck_assessments_version CHECK (version >= 1),
    -- Retired: no new attempts; attempts already open can still be answered and submitted.
    ADD COLUMN status          text NOT NULL DEFAULT 'active' CONSTRAINT ck_assessments_status CHECK (status IN ('active', 'retired')),
    ADD COLUMN retired_at      timestamptz,
    -- Attempts start only inside [available_from, available_until); an open attempt's deadline is the window's end at
    -- the latest. A submission after due_at is accepted and marked late (Canvas's late, Moodle's overdue).
    ADD COLUMN available_from  timestamptz,
    ADD COLUMN available_until timestamptz,
    ADD COLUMN due_at          timestamptz,
    ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT ck_assessments_retired CHECK ((status = 'retired') = (retired_at IS NOT NULL)),
    ADD CONSTRAINT ck_assessments_window CHECK (available_from < available_until),
    -- As Canvas: the due date lies inside the window (late work is possible only between due and until).
    ADD CONSTRAINT ck_assessments_due_in_window CHECK (due_at >= available_from AND due_at <= available_until);

CREATE INDEX ix_assessments_search ON hephaestus.assessments
    USING gin (to_tsvector('english', title || ' ' || coalesce(description, '')));

-- What a version fixes: its settings (pass score, feedback, limits) here and its parts in assessment_parts. Attempts
-- refer to the version they took; once one has, the version never changes and an edit makes the next version.
CREATE TABLE hephaestus.assessment_versions (
    assessment_id uuid NOT NULL REFERENCES hephaestus.assessments (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version >= 1),
    settings      jsonb NOT NULL CHECK (jsonb_typeof(settings) = 'object'),
    -- A user's record of authorship, not theirs: erasing them keeps the version and forgets who (CONTRIBUTING's rule).
    created_by    uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (assessment_id, version)
);
INSERT INTO hephaestus.assessment_versions (assessment_id, version, settings, created_at)
SELECT id, 1, settings, created_at FROM hephaestus.assessments;

ALTER TABLE hephaestus.assessment_parts ADD COLUMN version integer;
UPDATE hephaestus.assessment_parts SET version = 1;
ALTER TABLE hephaestus.assessment_parts
    ALTER COLUMN version SET NOT NULL,
    DROP CONSTRAINT assessment_parts_pkey,
    ADD PRIMARY KEY (assessment_id, version, position),
    ADD FOREIGN KEY (assessment_id, version) REFERENCES hephaestus.assessment_versions (assessment_id, version) ON DELETE CASCADE;

ALTER TABLE hephaestus.assessment_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY assessment_versions_read ON hephaestus.assessment_versions FOR SELECT USING (hephaestus.is_signed_in());
CREATE POLICY assessment_versions_write ON hephaestus.assessment_versions FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());

-- Attempts ------------------------------------------------------------------------------------------------------------

ALTER TABLE hephaestus.attempts
    ADD COLUMN assessment_version integer,
    -- The assessment's due date when the attempt was submitted; late is derived from it, so it cannot disagree.
    ADD COLUMN due_at timestamptz,
    ADD COLUMN late boolean GENERATED ALWAYS AS (coalesce(submitted_at > due_at, false)) STORED;
UPDATE hephaestus.attempts SET assessment_version = 1;
ALTER TABLE hephaestus.attempts
    ALTER COLUMN assessment_version SET NOT NULL,
    ADD FOREIGN KEY (assessment_id, assessment_version) REFERENCES hephaestus.assessment_versions (assessment_id, version);
-- Whether a version was attempted (the guard below), and the attempts of an assessment (results by assessment).
CREATE INDEX ix_attempts_assessment_version ON hephaestus.attempts (assessment_id, assessment_version);

-- An attempt inserted without a version takes the assessment's current one (the service always names it; this keeps
-- hand-written fixtures and scripts that predate versions working).
CREATE FUNCTION hephaestus.attempt_takes_current_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.assessment_version IS NULL THEN
        NEW.assessment_version := (SELECT version FROM hephaestus.assessments WHERE id = NEW.assessment_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER attempts_take_current_version BEFORE INSERT ON hephaestus.attempts
    FOR EACH ROW EXECUTE FUNCTION hephaestus.attempt_takes_current_version();

-- Attempts are learner rows under row-level security, which an author cannot see; whether a version was attempted must
-- see all of them, so it runs with the owner's rights (search_path pinned, as in 0008).
CREATE FUNCTION hephaestus.assessment_version_attempted(p_assessment uuid, p_version integer) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT EXISTS (SELECT 1 FROM attempts a WHERE a.assessment_id = p_assessment AND a.assessment_version = p_version)
    $$;

-- A version that attempts took never changes: its attempts are scored and shown by it.
CREATE FUNCTION hephaestus.guard_attempted_assessment_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    row_assessment uuid := CASE WHEN TG_OP = 'INSERT' THEN NEW.assessment_id ELSE OLD.assessment_id END;
    row_version integer := CASE WHEN TG_OP = 'INSERT' THEN NEW.version ELSE OLD.version END;
BEGIN
    IF hephaestus.assessment_version_attempted(row_assessment, row_version) THEN
        RAISE EXCEPTION 'assessment % version % has attempts and never changes', row_assessment, row_version
            USING ERRCODE = 'HE002', HINT = 'PATCH the assessment: with attempts, an edit makes its next version.';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER assessment_parts_frozen_when_attempted BEFORE INSERT OR UPDATE OR DELETE ON hephaestus.assessment_parts
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_attempted_assessment_version();
-- UPDATE OF settings: what a version fixes; created_by may still become NULL when its author is erased.
CREATE TRIGGER assessment_versions_frozen_when_attempted BEFORE UPDATE OF settings, assessment_id, version OR DELETE ON hephaestus.assessment_versions
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_attempted_assessment_version();
