-- Content review: the reviewer role, quality scores on declared dimensions, the audited review lifecycle of versions,
-- and flags that feed the regeneration queue. Builds on 0019_content.sql (content_versions.status and published_at,
-- the one-published-version index, the immutability trigger that lets only status and published_at move).

-- The reviewer role ------------------------------------------------------------------------------------------------

-- Reviewers score versions and approve or reject them; they do not write content (authors do).
ALTER TABLE hephaestus.users DROP CONSTRAINT ck_users_roles_known;
ALTER TABLE hephaestus.users ADD CONSTRAINT ck_users_roles_known
    CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['learner','educator','author','analyst','admin','reviewer']::text[]);

-- Who may review (score, approve, reject): the one definition policies, triggers and the service rely on.
CREATE FUNCTION hephaestus.can_review() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.has_role('reviewer') OR hephaestus.has_role('admin') $$;

-- Reviewers read every version (not only published ones) and move a version's status; the immutability trigger keeps
-- everything else of the row as it was, and the transition trigger below keeps the status moves legal.
CREATE POLICY content_versions_read_by_reviewers ON hephaestus.content_versions FOR SELECT USING (hephaestus.can_review());
CREATE POLICY content_versions_review ON hephaestus.content_versions FOR UPDATE
    USING (hephaestus.can_review()) WITH CHECK (hephaestus.can_review());

-- Publishing serializes on the item's row (SELECT … FOR UPDATE needs UPDATE rights under row-level security, which
-- reviewers must not have on items: they would then edit titles). This door takes only the lock, for those who may
-- move versions; false when there is no such item (or it is not visible).
CREATE FUNCTION hephaestus.lock_content_item(item uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hephaestus
    AS $$
BEGIN
    IF NOT (hephaestus.can_author() OR hephaestus.can_review()) THEN
        RAISE EXCEPTION 'only authors, reviewers and admins move content versions' USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM hephaestus.content_items WHERE id = item FOR UPDATE;
    RETURN FOUND;
END
$$;

-- Quality dimensions and scores --------------------------------------------------------------------------------------

-- A named dimension with its declared scale. Scores copy the scale and refer to (name, min, max), so a score is checked
-- against the scale declared when it was given by a foreign key and a CHECK, with no trigger; a dimension never changes
-- (no UPDATE or DELETE for the application role), a different scale is a different dimension.
CREATE TABLE hephaestus.quality_dimensions (
    name        text PRIMARY KEY CONSTRAINT ck_quality_dimensions_name CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    description text NOT NULL CONSTRAINT ck_quality_dimensions_description CHECK (char_length(description) BETWEEN 1 AND 500),
    scale_min   numeric(10, 4) NOT NULL,
    scale_max   numeric(10, 4) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_quality_dimensions_scale CHECK (scale_min < scale_max),
    CONSTRAINT uq_quality_dimensions_scale UNIQUE (name, scale_min, scale_max)
);

INSERT INTO hephaestus.quality_dimensions (name, description, scale_min, scale_max) VALUES
    ('accuracy', 'Factually and mathematically correct; no wrong statements or answers.', 1, 5),
    ('clarity', 'Clear, well organised and readable for its audience.', 1, 5),
    ('skill_alignment', 'Teaches or assesses the skills the item is aligned to, and nothing off-target.', 1, 5),
    ('age_appropriateness', 'Language, examples and difficulty suit the intended learners'' age.', 1, 5),
    ('safety_bias', 'Free of harmful content, stereotypes and cultural or demographic bias.', 1, 5);

-- Who gave a score, as one comparable value: a judge is its model with its rubric and the rubric's version; a person is
-- their user id (NULL once they are erased, so an erased reviewer's scores stay, each on its own).
CREATE FUNCTION hephaestus.content_evaluator(kind text, judge_model_id text, judge_rubric_id text, judge_rubric_version text,
                                             scored_by uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE kind WHEN 'judge' THEN 'judge:' || judge_model_id || '|' || judge_rubric_id || '@' || judge_rubric_version
                           ELSE 'human:' || scored_by::text END $$;

-- Append-only: a re-score by the same evaluator on the same dimension adds a row and marks the one it replaces
-- superseded, so history stays and "current" is one indexed predicate (superseded_at IS NULL).
CREATE TABLE hephaestus.content_quality_scores (
    id                   uuid PRIMARY KEY,
    content_version_id   uuid NOT NULL REFERENCES hephaestus.content_versions (id),
    dimension            text NOT NULL,
    scale_min            numeric(10, 4) NOT NULL,
    scale_max            numeric(10, 4) NOT NULL,
    score                numeric(10, 4) NOT NULL,
    normalized           numeric GENERATED ALWAYS AS ((score - scale_min) / (scale_max - scale_min)) STORED,
    evaluator_kind       text NOT NULL CONSTRAINT ck_content_quality_scores_kind CHECK (evaluator_kind IN ('judge', 'human')),
    judge_model_id       text CONSTRAINT ck_content_quality_scores_model CHECK (char_length(judge_model_id) BETWEEN 1 AND 200),
    judge_rubric_id      text CONSTRAINT ck_content_quality_scores_rubric CHECK (char_length(judge_rubric_id) BETWEEN 1 AND 200),
    judge_rubric_version text CONSTRAINT ck_content_quality_scores_rubric_version CHECK (char_length(judge_rubric_version) BETWEEN 1 AND 100),
    -- The person who scored, or for a judge the account its service posted with. Someone's record of others' work:
    -- erasing them keeps the score and forgets who (CONTRIBUTING's rule).
    scored_by            uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    evaluator            text GENERATED ALWAYS AS
                             (hephaestus.content_evaluator(evaluator_kind, judge_model_id, judge_rubric_id, judge_rubric_version, scored_by)) STORED,
    rationale            text CONSTRAINT ck_content_quality_scores_rationale CHECK (char_length(rationale) BETWEEN 1 AND 4000),
    scored_at            timestamptz NOT NULL DEFAULT now(),
    superseded_at        timestamptz,
    CONSTRAINT fk_content_quality_scores_scale FOREIGN KEY (dimension, scale_min, scale_max)
        REFERENCES hephaestus.quality_dimensions (name, scale_min, scale_max),
    CONSTRAINT ck_content_quality_scores_on_scale CHECK (score BETWEEN scale_min AND scale_max),
    CONSTRAINT ck_content_quality_scores_judge CHECK (
        (evaluator_kind = 'judge') = (judge_model_id IS NOT NULL AND judge_rubric_id IS NOT NULL AND judge_rubric_version IS NOT NULL)
        AND (evaluator_kind = 'judge' OR (judge_model_id IS NULL AND judge_rubric_id IS NULL AND judge_rubric_version IS NULL)))
);
-- One current score per version, dimension and evaluator.
CREATE UNIQUE INDEX ux_content_quality_scores_current ON hephaestus.content_quality_scores (content_version_id, dimension, evaluator)
    WHERE superseded_at IS NULL;
CREATE INDEX ix_content_quality_scores_version ON hephaestus.content_quality_scores (content_version_id, id);
CREATE INDEX ix_content_quality_scores_scored_by ON hephaestus.content_quality_scores (scored_by) WHERE scored_by IS NOT NULL;

-- A score never changes: it is only superseded (once), or forgets its scorer when they are erased.
CREATE FUNCTION hephaestus.guard_content_quality_score() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (to_jsonb(NEW) - ARRAY['superseded_at', 'scored_by', 'evaluator', 'normalized'])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['superseded_at', 'scored_by', 'evaluator', 'normalized'])
       OR (OLD.superseded_at IS NOT NULL AND NEW.superseded_at IS DISTINCT FROM OLD.superseded_at)
       OR (NEW.scored_by IS DISTINCT FROM OLD.scored_by AND NEW.scored_by IS NOT NULL) THEN
        RAISE EXCEPTION 'quality score % is never changed; score again instead', OLD.id USING ERRCODE = 'HE002';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER content_quality_scores_append_only BEFORE UPDATE ON hephaestus.content_quality_scores
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_content_quality_score();

-- Review lifecycle -------------------------------------------------------------------------------------------------

-- Every status change, who made it and why. Written only by the transition trigger (SECURITY DEFINER), so a transition
-- is never without its row and a row never without its transition; the application role may only read.
CREATE TABLE hephaestus.content_review_events (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content_version_id uuid NOT NULL REFERENCES hephaestus.content_versions (id),
    from_status        text NOT NULL,
    to_status          text NOT NULL,
    actor_id           uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    reason             text CONSTRAINT ck_content_review_events_reason CHECK (char_length(reason) BETWEEN 1 AND 2000),
    at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_content_review_events_version ON hephaestus.content_review_events (content_version_id, id);
CREATE INDEX ix_content_review_events_actor ON hephaestus.content_review_events (actor_id) WHERE actor_id IS NOT NULL;

-- The legal moves (Domain/Content/ContentReviewFlow holds the same table, with who may make each).
CREATE FUNCTION hephaestus.content_transition_allowed(from_status text, to_status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (from_status, to_status) IN (('draft', 'in_review'), ('in_review', 'draft'), ('in_review', 'approved'),
                                               ('approved', 'published'), ('approved', 'retired'), ('published', 'retired')) $$;

-- Refuses an illegal move (HE004) and an approval by the version's own creator (four eyes), stamps publication, and
-- writes the audit row. The reason travels in the transaction-local setting hephaestus.review_reason.
CREATE FUNCTION hephaestus.content_version_transition() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hephaestus
    AS $$
BEGIN
    IF NEW.status IS NOT DISTINCT FROM OLD.status THEN
        RETURN NEW;
    END IF;
    IF NOT hephaestus.content_transition_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'content version % cannot move from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'HE004', HINT = json_build_object('from', OLD.status, 'to', NEW.status)::text;
    END IF;
    IF NEW.status = 'approved' AND hephaestus.current_user_id() IN (OLD.created_by, OLD.human_author_id) THEN
        RAISE EXCEPTION 'content version % is approved by someone other than its author', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'published' THEN
        NEW.published_at := now();
    END IF;
    INSERT INTO hephaestus.content_review_events (content_version_id, from_status, to_status, actor_id, reason)
    VALUES (OLD.id, OLD.status, NEW.status, hephaestus.current_user_id(),
            nullif(current_setting('hephaestus.review_reason', true), ''));
    RETURN NEW;
END
$$;
CREATE TRIGGER content_versions_transition BEFORE UPDATE OF status ON hephaestus.content_versions
    FOR EACH ROW EXECUTE FUNCTION hephaestus.content_version_transition();

-- Flags -----------------------------------------------------------------------------------------------------------

-- "This version needs regenerating": from a reviewer, an author, or later the item analysis of the analytics issue.
CREATE TABLE hephaestus.content_flags (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    content_version_id uuid NOT NULL REFERENCES hephaestus.content_versions (id),
    source             text NOT NULL CONSTRAINT ck_content_flags_source CHECK (source ~ '^[a-z][a-z0-9_]{0,62}$'),
    reason             text NOT NULL CONSTRAINT ck_content_flags_reason CHECK (char_length(reason) BETWEEN 1 AND 2000),
    flagged_by         uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    flagged_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_content_flags_version ON hephaestus.content_flags (content_version_id, id);
CREATE INDEX ix_content_flags_flagged_by ON hephaestus.content_flags (flagged_by) WHERE flagged_by IS NOT NULL;

-- Security -------------------------------------------------------------------------------------------------------

ALTER TABLE hephaestus.quality_dimensions ENABLE ROW LEVEL SECURITY;
CREATE POLICY quality_dimensions_read ON hephaestus.quality_dimensions FOR SELECT USING (hephaestus.is_signed_in());
CREATE POLICY quality_dimensions_write ON hephaestus.quality_dimensions FOR INSERT WITH CHECK (hephaestus.has_role('admin'));
REVOKE UPDATE, DELETE ON hephaestus.quality_dimensions FROM hephaestus_app;

-- Content staff read scores, events and flags; analysts too (quality is their material). Learners do not.
CREATE FUNCTION hephaestus.can_read_content_review() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.can_author() OR hephaestus.can_review() OR hephaestus.has_role('analyst') $$;

ALTER TABLE hephaestus.content_quality_scores ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_quality_scores_read ON hephaestus.content_quality_scores FOR SELECT USING (hephaestus.can_read_content_review());
CREATE POLICY content_quality_scores_insert ON hephaestus.content_quality_scores FOR INSERT WITH CHECK (hephaestus.can_review());
CREATE POLICY content_quality_scores_supersede ON hephaestus.content_quality_scores FOR UPDATE
    USING (hephaestus.can_review()) WITH CHECK (hephaestus.can_review());
REVOKE DELETE ON hephaestus.content_quality_scores FROM hephaestus_app;

ALTER TABLE hephaestus.content_review_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_review_events_read ON hephaestus.content_review_events FOR SELECT USING (hephaestus.can_read_content_review());
REVOKE INSERT, UPDATE, DELETE ON hephaestus.content_review_events FROM hephaestus_app;

ALTER TABLE hephaestus.content_flags ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_flags_read ON hephaestus.content_flags FOR SELECT USING (hephaestus.can_read_content_review());
CREATE POLICY content_flags_insert ON hephaestus.content_flags FOR INSERT WITH CHECK (hephaestus.can_read_content_review());
REVOKE UPDATE, DELETE ON hephaestus.content_flags FROM hephaestus_app;

-- Trigger functions are not called directly.
REVOKE EXECUTE ON FUNCTION hephaestus.guard_content_quality_score(), hephaestus.content_version_transition() FROM hephaestus_app;
