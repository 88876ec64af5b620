DROP TABLE hephaestus.content_flags;
DROP TRIGGER content_versions_transition ON hephaestus.content_versions;
DROP FUNCTION hephaestus.content_version_transition();
DROP FUNCTION hephaestus.content_transition_allowed(text, text);
DROP TABLE hephaestus.content_review_events;
DROP TABLE hephaestus.content_quality_scores;
DROP FUNCTION hephaestus.guard_content_quality_score();
DROP FUNCTION hephaestus.content_evaluator(text, text, text, text, uuid);
DROP TABLE hephaestus.quality_dimensions;
DROP FUNCTION hephaestus.can_read_content_review();
DROP FUNCTION hephaestus.lock_content_item(uuid);
DROP POLICY content_versions_review ON hephaestus.content_versions;
DROP POLICY content_versions_read_by_reviewers ON hephaestus.content_versions;
DROP FUNCTION hephaestus.can_review();
-- Reviewers lose the role (a user left with no role becomes a learner) before the constraint forgets it.
UPDATE hephaestus.users SET roles = coalesce(nullif(array_remove(roles, 'reviewer'), '{}'), ARRAY['learner']::text[])
    WHERE 'reviewer' = ANY (roles);
ALTER TABLE hephaestus.users DROP CONSTRAINT ck_users_roles_known;
ALTER TABLE hephaestus.users ADD CONSTRAINT ck_users_roles_known
    CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['learner','educator','author','analyst','admin']::text[]);
