-- Reverts 20261125045950_Identity. Policies go with their tables; the functions and the trigger functions do not.

DROP FUNCTION IF EXISTS hephaestus.resolve_actor(text), hephaestus.can_write_learner(uuid),
    hephaestus.can_read_learner(uuid), hephaestus.educates(uuid), hephaestus.is_cohort_educator(uuid), hephaestus.is_cohort_member(uuid)
    CASCADE;

DROP TABLE hephaestus.cohort_members;

DROP TABLE hephaestus.cohorts;

DROP TABLE hephaestus.users;

DROP FUNCTION IF EXISTS hephaestus.guard_user_privileged_columns(), hephaestus.touch_updated_at(),
    hephaestus.has_role(text), hephaestus.current_roles(), hephaestus.current_user_id();
