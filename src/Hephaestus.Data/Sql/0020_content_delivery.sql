-- Issue 10, parts 2, 5 and 6: who writes content (one function), path steps that must point at a content item, what a
-- learner was shown (content exposures), and item-bank stems that name the content version they came from.

-- Who may write content ---------------------------------------------------------------------------------------------

-- One function decides who writes content items, versions and bodies: authors and admins today. Another role (a
-- reviewer) is added by replacing this function alone; the policies below and Server/Auth/Policies.ContentWriter follow.
CREATE FUNCTION hephaestus.can_write_content() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.can_author() $$;

DROP POLICY content_bodies_write ON hephaestus.content_bodies;
CREATE POLICY content_bodies_write ON hephaestus.content_bodies FOR INSERT WITH CHECK (hephaestus.can_write_content());
-- Storing a body that is already recorded refreshes stored_at, so `content gc` counts its grace from the latest upload:
-- a body re-uploaded to be referenced by a version about to be created is not collected under it.
CREATE POLICY content_bodies_touch ON hephaestus.content_bodies FOR UPDATE
    USING (hephaestus.can_write_content()) WITH CHECK (hephaestus.can_write_content());

DROP POLICY content_items_write ON hephaestus.content_items;
CREATE POLICY content_items_write ON hephaestus.content_items FOR ALL
    USING (hephaestus.can_write_content()) WITH CHECK (hephaestus.can_write_content());
DROP POLICY content_item_skills_write ON hephaestus.content_item_skills;
CREATE POLICY content_item_skills_write ON hephaestus.content_item_skills FOR ALL
    USING (hephaestus.can_write_content()) WITH CHECK (hephaestus.can_write_content());
DROP POLICY content_versions_write ON hephaestus.content_versions;
CREATE POLICY content_versions_write ON hephaestus.content_versions FOR ALL
    USING (hephaestus.can_write_content()) WITH CHECK (hephaestus.can_write_content());
DROP POLICY content_versions_read ON hephaestus.content_versions;
CREATE POLICY content_versions_read ON hephaestus.content_versions FOR SELECT
    USING (hephaestus.can_write_content() OR hephaestus.has_role('educator') OR hephaestus.has_role('analyst')
           OR (hephaestus.is_signed_in() AND status = 'published'));

-- Path steps of kind content point at a content item ----------------------------------------------------------------

-- As migration 20261201210200 did for skills and assessments: content_item_id is ref_id typed by kind (generated, so it
-- cannot disagree) and carries the foreign key. Unlike there, steps already in the database are not checked (NOT
-- VALID): content items did not exist before migration 20261202000300, so every content step written until now points
-- at nothing, and refusing to migrate would force deleting published paths. New and replaced steps are checked by the
-- foreign key, a draft naming a missing item is refused on save and at publish, and delivery of such an item is a 404.
ALTER TABLE hephaestus.path_steps
    ADD COLUMN content_item_id uuid GENERATED ALWAYS AS (CASE WHEN kind = 'content' THEN ref_id END) STORED;
ALTER TABLE hephaestus.path_steps
    ADD CONSTRAINT fk_path_steps_content_item FOREIGN KEY (content_item_id) REFERENCES hephaestus.content_items (id) NOT VALID;
-- Delivery asks "is this item on a path version the learner is enrolled in?" by item; deleting an item looks it up.
CREATE INDEX ix_path_steps_content_item ON hephaestus.path_steps (content_item_id, path_version_id) WHERE content_item_id IS NOT NULL;

-- What a learner was shown -------------------------------------------------------------------------------------------

-- One row per delivery of a content body to a learner (recorded when the body is sent from its first byte, at most once
-- per learner and version within a few minutes: range requests and reloads are not new exposures). Learner state:
-- written only by Data/Learning/LearnerRecord. The mastery analytics join exposures to the mastery changes after them.
CREATE TABLE hephaestus.content_exposures (
    learner_id         uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    id                 uuid NOT NULL,
    content_version_id uuid NOT NULL REFERENCES hephaestus.content_versions (id),
    -- The enrollment and step through which the item was reached, when the learner is enrolled in one that has it.
    enrollment_id      uuid,
    step_key           text CONSTRAINT ck_content_exposures_step_key CHECK (char_length(step_key) BETWEEN 1 AND 64),
    shown_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (learner_id, id),
    CONSTRAINT fk_content_exposures_enrollment FOREIGN KEY (learner_id, enrollment_id)
        REFERENCES hephaestus.enrollments (learner_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_content_exposures_step_with_enrollment CHECK (step_key IS NULL OR enrollment_id IS NOT NULL)
);
CREATE INDEX ix_content_exposures_learner_version ON hephaestus.content_exposures (learner_id, content_version_id, shown_at DESC);
CREATE INDEX ix_content_exposures_version ON hephaestus.content_exposures (content_version_id);

ALTER TABLE hephaestus.content_exposures ENABLE ROW LEVEL SECURITY;
CREATE POLICY content_exposures_read ON hephaestus.content_exposures FOR SELECT USING (hephaestus.can_read_learner(learner_id));
CREATE POLICY content_exposures_write ON hephaestus.content_exposures FOR INSERT WITH CHECK (hephaestus.can_write_learner(learner_id));
-- As Sql/0009_defence_in_depth.sql for the other learner state: only a transaction marked by LearnerRecord writes it.
CREATE POLICY content_exposures_insert_by_owner ON hephaestus.content_exposures AS RESTRICTIVE FOR INSERT
    WITH CHECK (hephaestus.in_learner_record());
CREATE POLICY content_exposures_update_by_owner ON hephaestus.content_exposures AS RESTRICTIVE FOR UPDATE
    USING (true) WITH CHECK (hephaestus.in_learner_record());
-- A record of what happened: never changed by the application.
REVOKE UPDATE, DELETE ON hephaestus.content_exposures FROM hephaestus_app;

-- Item-bank stems from content -----------------------------------------------------------------------------------------

-- An item version may name the content version its stem came from (a generated item stem). On the version, not the
-- item: the stem is part of what a version fixes, and a later edit may take its stem from elsewhere.
ALTER TABLE hephaestus.item_versions
    ADD COLUMN stem_content_version_id uuid CONSTRAINT fk_item_versions_stem_content_version REFERENCES hephaestus.content_versions (id);
CREATE INDEX ix_item_versions_stem_content_version ON hephaestus.item_versions (stem_content_version_id) WHERE stem_content_version_id IS NOT NULL;
-- item_versions is readable column by column (Sql/0009_defence_in_depth.sql); this column holds no answer key.
GRANT SELECT (stem_content_version_id) ON hephaestus.item_versions TO hephaestus_app;
