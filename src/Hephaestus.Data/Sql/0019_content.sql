-- AI-generated content: items, immutable numbered versions with lineage and provenance, and the bodies they point at.
-- Bodies live in the object store (ADR-004), addressed by SHA-256; these tables hold only metadata and links. The
-- object is written first and its content_bodies row after, so no row ever names a body the store does not hold.

-- Bodies ---------------------------------------------------------------------------------------------------------------

-- One row per distinct body (content-addressed: the same bytes are stored and recorded once, whoever uploads them).
CREATE TABLE hephaestus.content_bodies (
    sha256      text PRIMARY KEY CONSTRAINT ck_content_bodies_sha256 CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint NOT NULL CONSTRAINT ck_content_bodies_size CHECK (size_bytes >= 0),
    -- A user's record of authorship, not theirs: erasing them keeps the body and forgets who (CONTRIBUTING's rule).
    stored_by   uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    stored_at   timestamptz NOT NULL DEFAULT now()
);

-- Items ----------------------------------------------------------------------------------------------------------------

CREATE TABLE hephaestus.content_items (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The stable name clients and generators use across versions (e.g. "fractions/intro-lesson").
    key            text NOT NULL CONSTRAINT uq_content_items_key UNIQUE
                       CONSTRAINT ck_content_items_key CHECK (key ~ '^[a-z0-9][a-z0-9._/-]{0,199}$'),
    kind           text NOT NULL CONSTRAINT ck_content_items_kind CHECK (kind IN (
                       'lesson', 'explanation', 'worked_example', 'hint', 'item_stem', 'feedback', 'summary',
                       'image', 'video', 'audio', 'interactive')),
    title          text NOT NULL CONSTRAINT ck_content_items_title CHECK (char_length(title) BETWEEN 1 AND 300),
    -- The highest version number given out. Creating a version increments it in the same statement that locks the
    -- item's row, so concurrent creators get 1, 2, 3 with no gap (a rolled-back creation rolls its increment back too).
    latest_version integer NOT NULL DEFAULT 0 CONSTRAINT ck_content_items_latest_version CHECK (latest_version >= 0),
    created_by     uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Skill alignments: which skills an item teaches (the analytics issue ties mastery gains to them).
CREATE TABLE hephaestus.content_item_skills (
    content_item_id uuid NOT NULL REFERENCES hephaestus.content_items (id) ON DELETE CASCADE,
    skill_id        uuid NOT NULL REFERENCES hephaestus.skills (id),
    PRIMARY KEY (content_item_id, skill_id)
);
CREATE INDEX ix_content_item_skills_skill ON hephaestus.content_item_skills (skill_id);

-- Versions -------------------------------------------------------------------------------------------------------------

CREATE TABLE hephaestus.content_versions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    content_item_id  uuid NOT NULL REFERENCES hephaestus.content_items (id),
    version          integer NOT NULL CONSTRAINT ck_content_versions_version CHECK (version >= 1),
    -- The body: its address in the object store, and how to serve it.
    body_sha256      text NOT NULL REFERENCES hephaestus.content_bodies (sha256),
    media_type       text NOT NULL CONSTRAINT ck_content_versions_media_type
                         CHECK (media_type ~ '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$'),
    -- Lineage: the version this one was edited or derived from, and the one it was regenerated to replace.
    derived_from     uuid REFERENCES hephaestus.content_versions (id),
    regenerated_from uuid REFERENCES hephaestus.content_versions (id),
    -- Provenance: made by a generator (model, prompt template, ...) or written by a person.
    origin           text NOT NULL CONSTRAINT ck_content_versions_origin CHECK (origin IN ('generated', 'human')),
    model_id                 text CONSTRAINT ck_content_versions_model_id CHECK (char_length(model_id) BETWEEN 1 AND 200),
    prompt_template_id       text CONSTRAINT ck_content_versions_prompt_template_id CHECK (char_length(prompt_template_id) BETWEEN 1 AND 200),
    prompt_template_version  text CONSTRAINT ck_content_versions_prompt_template_version CHECK (char_length(prompt_template_version) BETWEEN 1 AND 100),
    -- SHA-256 of the exact prompt sent, so two versions made from the same prompt are recognisable without storing it.
    prompt_sha256            text CONSTRAINT ck_content_versions_prompt_sha256 CHECK (prompt_sha256 ~ '^[0-9a-f]{64}$'),
    generation_parameters    jsonb CONSTRAINT ck_content_versions_generation_parameters CHECK (jsonb_typeof(generation_parameters) = 'object'),
    -- What the generator was grounded on: [{ "uri": ..., "title": ..., "sha256": ... }, ...].
    grounding_sources        jsonb CONSTRAINT ck_content_versions_grounding_sources CHECK (jsonb_typeof(grounding_sources) = 'array'),
    input_tokens             integer CONSTRAINT ck_content_versions_input_tokens CHECK (input_tokens >= 0),
    output_tokens            integer CONSTRAINT ck_content_versions_output_tokens CHECK (output_tokens >= 0),
    cost_usd                 numeric(14, 6) CONSTRAINT ck_content_versions_cost CHECK (cost_usd >= 0),
    latency_ms               integer CONSTRAINT ck_content_versions_latency CHECK (latency_ms >= 0),
    -- The person who wrote a human version (kept apart from created_by: an admin may record someone else's work).
    human_author_id          uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    -- Whatever evolves (language, reading level, tags, ...), queried by containment and JSON path (index below).
    metadata         jsonb NOT NULL DEFAULT '{}' CONSTRAINT ck_content_versions_metadata CHECK (jsonb_typeof(metadata) = 'object'),
    -- Review and publishing. Transitions are audited in the content issue's review table; here only where it is now.
    status           text NOT NULL DEFAULT 'draft' CONSTRAINT ck_content_versions_status
                         CHECK (status IN ('draft', 'in_review', 'approved', 'published', 'retired')),
    published_at     timestamptz,
    created_by       uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_content_versions_number UNIQUE (content_item_id, version),
    -- A generated version says what generated it; a human one names no model.
    CONSTRAINT ck_content_versions_provenance CHECK (
        (origin = 'generated' AND model_id IS NOT NULL AND prompt_template_id IS NOT NULL)
        OR (origin = 'human' AND model_id IS NULL AND prompt_template_id IS NULL AND prompt_sha256 IS NULL
            AND input_tokens IS NULL AND output_tokens IS NULL)),
    CONSTRAINT ck_content_versions_published_at CHECK ((status = 'published') <= (published_at IS NOT NULL)),
    CONSTRAINT ck_content_versions_not_own_parent CHECK (derived_from <> id AND regenerated_from <> id)
);

-- Exactly one published version per item at any moment: publishing another must retire this one in the same
-- transaction, and of two concurrent publishers the second waits on this index and then fails or retries.
CREATE UNIQUE INDEX ux_content_versions_one_published ON hephaestus.content_versions (content_item_id)
    WHERE status = 'published';
-- jsonb_path_ops answers @> (containment) and @? / @@ (JSON path) and is a third the size of the default opclass.
CREATE INDEX ix_content_versions_metadata ON hephaestus.content_versions USING gin (metadata jsonb_path_ops);
CREATE INDEX ix_content_versions_body ON hephaestus.content_versions (body_sha256);
CREATE INDEX ix_content_versions_derived_from ON hephaestus.content_versions (derived_from) WHERE derived_from IS NOT NULL;
CREATE INDEX ix_content_versions_regenerated_from ON hephaestus.content_versions (regenerated_from) WHERE regenerated_from IS NOT NULL;
CREATE INDEX ix_content_versions_status ON hephaestus.content_versions (status, content_item_id);

-- A version never changes once made: only where it is in review (status, published_at) may move, and authorship may be
-- forgotten when its user is erased (ON DELETE SET NULL).
CREATE FUNCTION hephaestus.guard_content_version_immutable() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY['status', 'published_at', 'created_by', 'human_author_id'])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['status', 'published_at', 'created_by', 'human_author_id'])
       OR (NEW.created_by IS DISTINCT FROM OLD.created_by AND NEW.created_by IS NOT NULL)
       OR (NEW.human_author_id IS DISTINCT FROM OLD.human_author_id AND NEW.human_author_id IS NOT NULL) THEN
        RAISE EXCEPTION 'content version % is immutable; create a new version instead', OLD.id
            USING ERRCODE = 'HE002';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER content_versions_immutable BEFORE UPDATE ON hephaestus.content_versions
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_content_version_immutable();

-- Security -------------------------------------------------------------------------------------------------------------

-- Authors (and admins) write content; every signed-in user reads item metadata. Which versions a learner may read is
-- narrower (published ones of items on their paths) and enforced by the delivery operation and its policy.
ALTER TABLE hephaestus.content_bodies ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_bodies_read ON hephaestus.content_bodies FOR SELECT USING (hephaestus.is_signed_in());
CREATE POLICY content_bodies_write ON hephaestus.content_bodies FOR INSERT WITH CHECK (hephaestus.can_author());

ALTER TABLE hephaestus.content_items ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_items_read ON hephaestus.content_items FOR SELECT USING (hephaestus.is_signed_in());
CREATE POLICY content_items_write ON hephaestus.content_items FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());

ALTER TABLE hephaestus.content_item_skills ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_item_skills_read ON hephaestus.content_item_skills FOR SELECT USING (hephaestus.is_signed_in());
CREATE POLICY content_item_skills_write ON hephaestus.content_item_skills FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());

ALTER TABLE hephaestus.content_versions ENABLE ROW LEVEL SECURITY;
-- Staff see every version; a learner sees published ones only (the delivery operation narrows to their paths).
CREATE POLICY content_versions_read ON hephaestus.content_versions FOR SELECT
    USING (hephaestus.can_author() OR hephaestus.has_role('educator') OR hephaestus.has_role('analyst')
           OR (hephaestus.is_signed_in() AND status = 'published'));
CREATE POLICY content_versions_write ON hephaestus.content_versions FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());

-- The application role may not delete what lineage and history point at; bodies are deleted only by `content gc`,
-- which runs as the schema owner.
REVOKE DELETE ON hephaestus.content_bodies, hephaestus.content_versions FROM hephaestus_app;
