-- Citus-ready (issue 13 part 7; docs/scale-out.md). The distribution column of everything a learner owns is the learner's
-- user id: learner_id in learner state, users.id, cohort_members.user_id. Citus needs it in every primary key and unique
-- constraint of a distributed table and in every foreign key between two of them; a distributed table may reference a
-- reference table (replicated whole to every node), never the other way round. Three things broke that:
--   1. users: emails (ignoring case) and subjects were unique across users, which a table distributed by id cannot
--      enforce. They move to user_identities, one row per user kept by triggers on users: a table of its own key (a
--      reference table on Citus), whose unique indexes keep the names the service maps to fields (ux_users_email_lower,
--      ix_users_external_subject), so a duplicate is still a 409 naming the field. users keeps plain indexes for lookups.
--   2. cohort_members had user_id second in its key: the key becomes (user_id, cohort_id), with an index by cohort.
--   3. Columns naming a person who is not the row's learner (who assessed, who overrode, who wrote an item version, …)
--      referenced users from catalog tables and across learners. They reference user_identities instead, with the same
--      ON DELETE action: erasing a user deletes their identity row (trigger), which nulls or cascades as before.
-- Tests/…/Data.Tests/Schema/CitusReadinessTests reads the catalog for these rules; its table says how each table is placed.

CREATE TABLE hephaestus.user_identities (
    id uuid PRIMARY KEY,
    email_lower text NOT NULL,
    external_subject text NOT NULL
);
COMMENT ON TABLE hephaestus.user_identities IS
    'One row per user: the case-folded email and the subject, unique across all users (a reference table on Citus), and the target of foreign keys naming a person other than the row''s learner. Kept by triggers on users; personal data exported and erased with the user.';

-- Row-level security with no policy: the application role reads and writes nothing here; the owner's triggers below keep
-- it, and foreign key checks and actions do not go through policies.
ALTER TABLE hephaestus.user_identities ENABLE ROW LEVEL SECURITY;

INSERT INTO hephaestus.user_identities (id, email_lower, external_subject)
SELECT id, lower(email), external_subject FROM hephaestus.users;

DROP INDEX hephaestus.ux_users_email_lower;
DROP INDEX hephaestus.ix_users_external_subject;
-- The unique indexes keep their names: UserStore maps a 23505 on them to the field /email or /externalSubject.
CREATE UNIQUE INDEX ux_users_email_lower ON hephaestus.user_identities (email_lower);
CREATE UNIQUE INDEX ix_users_external_subject ON hephaestus.user_identities (external_subject);
-- Lookups on users itself (resolve_actor by subject, provisioning and admin search by email) keep an index each.
CREATE INDEX ix_users_external_subject_lookup ON hephaestus.users (external_subject);
CREATE INDEX ix_users_email_lower_lookup ON hephaestus.users (lower(email));

-- BEFORE INSERT: the identity row exists before any row references the user, and a taken email or subject fails the
-- insert itself. ON CONFLICT (id): an insert of an existing user's id (the seeder's ON CONFLICT DO NOTHING) leaves it.
CREATE FUNCTION hephaestus.user_identities_follow() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO hephaestus.user_identities (id, email_lower, external_subject)
        VALUES (NEW.id, lower(NEW.email), NEW.external_subject)
        ON CONFLICT (id) DO NOTHING;
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE hephaestus.user_identities SET email_lower = lower(NEW.email), external_subject = NEW.external_subject
        WHERE id = NEW.id;
        RETURN NEW;
    END IF;
    DELETE FROM hephaestus.user_identities WHERE id = OLD.id;
    RETURN OLD;
END $$;
REVOKE ALL ON FUNCTION hephaestus.user_identities_follow() FROM PUBLIC;

CREATE TRIGGER users_identity_insert BEFORE INSERT ON hephaestus.users
    FOR EACH ROW EXECUTE FUNCTION hephaestus.user_identities_follow();
CREATE TRIGGER users_identity_update AFTER UPDATE OF email, external_subject ON hephaestus.users
    FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email OR OLD.external_subject IS DISTINCT FROM NEW.external_subject)
    EXECUTE FUNCTION hephaestus.user_identities_follow();
CREATE TRIGGER users_identity_delete AFTER DELETE ON hephaestus.users
    FOR EACH ROW EXECUTE FUNCTION hephaestus.user_identities_follow();

ALTER TABLE hephaestus.cohort_members DROP CONSTRAINT pk_cohort_members,
    ADD CONSTRAINT pk_cohort_members PRIMARY KEY (user_id, cohort_id);
-- A cohort's roster, paged by user id.
CREATE INDEX ix_cohort_members_cohort ON hephaestus.cohort_members (cohort_id, user_id);

ALTER TABLE hephaestus.assessment_versions DROP CONSTRAINT assessment_versions_created_by_fkey,
    ADD CONSTRAINT assessment_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_bodies DROP CONSTRAINT content_bodies_stored_by_fkey,
    ADD CONSTRAINT content_bodies_stored_by_fkey FOREIGN KEY (stored_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_flags DROP CONSTRAINT content_flags_flagged_by_fkey,
    ADD CONSTRAINT content_flags_flagged_by_fkey FOREIGN KEY (flagged_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_items DROP CONSTRAINT content_items_created_by_fkey,
    ADD CONSTRAINT content_items_created_by_fkey FOREIGN KEY (created_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_quality_scores DROP CONSTRAINT content_quality_scores_scored_by_fkey,
    ADD CONSTRAINT content_quality_scores_scored_by_fkey FOREIGN KEY (scored_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_review_events DROP CONSTRAINT content_review_events_actor_id_fkey,
    ADD CONSTRAINT content_review_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_versions DROP CONSTRAINT content_versions_created_by_fkey,
    ADD CONSTRAINT content_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_versions DROP CONSTRAINT content_versions_human_author_id_fkey,
    ADD CONSTRAINT content_versions_human_author_id_fkey FOREIGN KEY (human_author_id) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT fk_enrollment_overrides_actor,
    ADD CONSTRAINT fk_enrollment_overrides_actor FOREIGN KEY (actor_id) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.external_ids DROP CONSTRAINT external_ids_user_id_fkey,
    ADD CONSTRAINT external_ids_user_id_fkey FOREIGN KEY (user_id) REFERENCES hephaestus.user_identities (id) ON DELETE CASCADE;
ALTER TABLE hephaestus.imports DROP CONSTRAINT imports_actor_id_fkey,
    ADD CONSTRAINT imports_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.item_versions DROP CONSTRAINT fk_item_versions_created_by,
    ADD CONSTRAINT fk_item_versions_created_by FOREIGN KEY (created_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.rubric_assessments DROP CONSTRAINT fk_rubric_assessments_assessor,
    ADD CONSTRAINT fk_rubric_assessments_assessor FOREIGN KEY (assessor_id) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.xapi_credentials DROP CONSTRAINT fk_xapi_credentials_creator,
    ADD CONSTRAINT fk_xapi_credentials_creator FOREIGN KEY (created_by) REFERENCES hephaestus.user_identities (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.xapi_documents DROP CONSTRAINT fk_xapi_documents_user,
    ADD CONSTRAINT fk_xapi_documents_user FOREIGN KEY (user_id) REFERENCES hephaestus.user_identities (id) ON DELETE CASCADE;
ALTER TABLE hephaestus.xapi_statements DROP CONSTRAINT xapi_statements_learner_id_fkey,
    ADD CONSTRAINT xapi_statements_learner_id_fkey FOREIGN KEY (learner_id) REFERENCES hephaestus.user_identities (id) ON DELETE CASCADE;
