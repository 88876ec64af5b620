-- Reverts Sql/0033_citus_ready.sql: people referenced through users again, uniqueness back on users, cohort_members
-- keyed by cohort first.
ALTER TABLE hephaestus.assessment_versions DROP CONSTRAINT assessment_versions_created_by_fkey,
    ADD CONSTRAINT assessment_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_bodies DROP CONSTRAINT content_bodies_stored_by_fkey,
    ADD CONSTRAINT content_bodies_stored_by_fkey FOREIGN KEY (stored_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_flags DROP CONSTRAINT content_flags_flagged_by_fkey,
    ADD CONSTRAINT content_flags_flagged_by_fkey FOREIGN KEY (flagged_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_items DROP CONSTRAINT content_items_created_by_fkey,
    ADD CONSTRAINT content_items_created_by_fkey FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_quality_scores DROP CONSTRAINT content_quality_scores_scored_by_fkey,
    ADD CONSTRAINT content_quality_scores_scored_by_fkey FOREIGN KEY (scored_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_review_events DROP CONSTRAINT content_review_events_actor_id_fkey,
    ADD CONSTRAINT content_review_events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_versions DROP CONSTRAINT content_versions_created_by_fkey,
    ADD CONSTRAINT content_versions_created_by_fkey FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.content_versions DROP CONSTRAINT content_versions_human_author_id_fkey,
    ADD CONSTRAINT content_versions_human_author_id_fkey FOREIGN KEY (human_author_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.enrollment_overrides DROP CONSTRAINT fk_enrollment_overrides_actor,
    ADD CONSTRAINT fk_enrollment_overrides_actor FOREIGN KEY (actor_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.external_ids DROP CONSTRAINT external_ids_user_id_fkey,
    ADD CONSTRAINT external_ids_user_id_fkey FOREIGN KEY (user_id) REFERENCES hephaestus.users (id) ON DELETE CASCADE;
ALTER TABLE hephaestus.imports DROP CONSTRAINT imports_actor_id_fkey,
    ADD CONSTRAINT imports_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.item_versions DROP CONSTRAINT fk_item_versions_created_by,
    ADD CONSTRAINT fk_item_versions_created_by FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.rubric_assessments DROP CONSTRAINT fk_rubric_assessments_assessor,
    ADD CONSTRAINT fk_rubric_assessments_assessor FOREIGN KEY (assessor_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.xapi_credentials DROP CONSTRAINT fk_xapi_credentials_creator,
    ADD CONSTRAINT fk_xapi_credentials_creator FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
ALTER TABLE hephaestus.xapi_documents DROP CONSTRAINT fk_xapi_documents_user,
    ADD CONSTRAINT fk_xapi_documents_user FOREIGN KEY (user_id) REFERENCES hephaestus.users (id) ON DELETE CASCADE;
ALTER TABLE hephaestus.xapi_statements DROP CONSTRAINT xapi_statements_learner_id_fkey,
    ADD CONSTRAINT xapi_statements_learner_id_fkey FOREIGN KEY (learner_id) REFERENCES hephaestus.users (id) ON DELETE CASCADE;

DROP INDEX hephaestus.ix_cohort_members_cohort;
ALTER TABLE hephaestus.cohort_members DROP CONSTRAINT pk_cohort_members,
    ADD CONSTRAINT pk_cohort_members PRIMARY KEY (cohort_id, user_id);

DROP TRIGGER users_identity_insert ON hephaestus.users;
DROP TRIGGER users_identity_update ON hephaestus.users;
DROP TRIGGER users_identity_delete ON hephaestus.users;
DROP FUNCTION hephaestus.user_identities_follow();
DROP INDEX hephaestus.ix_users_external_subject_lookup;
DROP INDEX hephaestus.ix_users_email_lower_lookup;
DROP TABLE hephaestus.user_identities;
CREATE UNIQUE INDEX ix_users_external_subject ON hephaestus.users (external_subject);
CREATE UNIQUE INDEX ux_users_email_lower ON hephaestus.users (lower(email));
