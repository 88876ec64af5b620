-- Defence in depth: what the database still refuses when a statement of the service goes astray.
--
-- Threat model. The service runs as a login in hephaestus_app and states who acts (hephaestus.user_id,
-- hephaestus.roles) and which operation runs (hephaestus.operation) with set_config. Whoever can run arbitrary SQL as
-- that role can set all three and is stopped by nothing here: the actor is the service's word, as in PostgREST. What
-- this file stops is a stray or injected statement inside an ordinary code path: it cannot read answer keys, cannot
-- write a learner's results, evidence, mastery, attempts or progress outside the operations that own them, cannot
-- change an email without an admin actor, and no other role of the server can run our functions or connect.

-- Functions ----------------------------------------------------------------------------------------------------------

-- PostgreSQL lets PUBLIC execute every new function. Ours are for the application role only; the functions it needs
-- are granted back by name below. Trigger functions are not among them: PostgreSQL does not check EXECUTE when a
-- trigger fires, and they cannot be called directly. Functions created later by the migrating role are not PUBLIC
-- either (the application role still gets them by the default privilege of 0001_roles_and_actor.sql).
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA hephaestus FROM PUBLIC, hephaestus_app;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    -- the actor and the rules that policies call
    hephaestus.current_user_id(), hephaestus.current_roles(), hephaestus.has_role(text), hephaestus.is_signed_in(),
    hephaestus.can_author(), hephaestus.can_read_learner(uuid), hephaestus.can_write_learner(uuid),
    hephaestus.can_teach_learner(uuid), hephaestus.educates(uuid), hephaestus.is_cohort_member(uuid),
    hephaestus.is_cohort_educator(uuid),
    -- a CHECK constraint (rubric_criteria) and a trigger that runs with the invoker's rights (mastery_levels) call these
    hephaestus.rubric_ratings_valid(jsonb, numeric), hephaestus.mastery_scale_in_use(uuid),
    -- called by the service
    hephaestus.resolve_actor(text), hephaestus.reclassify_framework_mastery(uuid), hephaestus.skill_subtree_references(uuid)
    TO hephaestus_app;

-- Connecting: only the roles granted CONNECT (hephaestus_app; the owner owns the database) may, and nobody else gets
-- temporary tables. Done for the database this runs in, whatever its name; a migrating role that does not own the
-- database gets a warning and nothing changes, so the DBA does it (docs/operations.md). The embedded provisioner does
-- it for every database it creates (Data/Embedded/EmbeddedProvisioner).
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO hephaestus_app', current_database());
END
$$;

-- Learner state: only its owning operations write it --------------------------------------------------------------

-- Data/Learning/LearnerRecord (and its MasteryRecorder, ProgressEngine) and Data/Assessments/AttemptStore mark their
-- transaction with set_config('hephaestus.operation', 'learner_record', true), in a batch they send anyway, so the
-- mark costs no round trip. Like the actor, it vanishes at COMMIT or ROLLBACK.
CREATE FUNCTION hephaestus.in_learner_record() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('hephaestus.operation', true) = 'learner_record', false) $$;
GRANT EXECUTE ON FUNCTION hephaestus.in_learner_record() TO hephaestus_app;

-- Restrictive policies are ANDed with the permissive ones of 0004 and 0007: who may write a learner's rows is unchanged;
-- outside a marked transaction nobody may (new row violates row-level security policy: SQLSTATE 42501, a 403 at the
-- edge). UPDATE keeps its rows visible (USING true) so the refusal is an error, not a silent "0 rows".
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['learner_skill_mastery', 'enrollments', 'enrollment_overrides', 'attempts', 'attempt_responses',
                             'results', 'idempotency_keys', 'rubric_assessments', 'evidence']
    LOOP
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I AS RESTRICTIVE FOR INSERT WITH CHECK (hephaestus.in_learner_record())',
                       t || '_insert_by_owner', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I AS RESTRICTIVE FOR UPDATE USING (true) WITH CHECK (hephaestus.in_learner_record())',
                       t || '_update_by_owner', t);
    END LOOP;
END
$$;

-- Answer keys ------------------------------------------------------------------------------------------------------

-- An item version's definition holds its answer key. The application role may no longer select that column; every
-- other column stays readable (drawing items, checking versions). Two narrow doors return definitions:
--   item_definitions: any version, for authors and admins (authoring, regrading);
--   attempt_item_definitions: the versions of one attempt, inside the learner-record operation, for an actor who may
--     read that attempt's learner: showing the attempt (the edge strips the keys), checking a saved response, grading.
-- Why column privileges and functions rather than a separate key table: the definition stays one validated document
-- (the parser reads it whole), nothing is copied, and a submission reads its items through the function in the batch
-- it already sends, so it costs no extra round trip.
REVOKE SELECT ON hephaestus.item_versions FROM hephaestus_app;
GRANT SELECT (id, item_id, version, type, points, created_by, created_at) ON hephaestus.item_versions TO hephaestus_app;

CREATE FUNCTION hephaestus.item_definitions(ids uuid[]) RETURNS TABLE (id uuid, definition jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$ SELECT v.id, v.definition FROM item_versions v WHERE v.id = ANY (item_definitions.ids) AND can_author() $$;

CREATE FUNCTION hephaestus.attempt_item_definitions(learner uuid, attempt uuid) RETURNS TABLE (id uuid, definition jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT v.id, v.definition
        FROM attempts a JOIN item_versions v ON v.id = ANY (a.item_version_ids)
        WHERE a.learner_id = attempt_item_definitions.learner AND a.id = attempt_item_definitions.attempt
          AND in_learner_record() AND can_read_learner(a.learner_id)
    $$;
GRANT EXECUTE ON FUNCTION hephaestus.item_definitions(uuid[]), hephaestus.attempt_item_definitions(uuid, uuid) TO hephaestus_app;

-- Emails ------------------------------------------------------------------------------------------------------------

-- Only an admin changes a user's email (it is how people are found and reached), whatever path the write takes; as
-- for roles (0002), the table owner (migrations, seeding, the token CLI) is trusted.
CREATE FUNCTION hephaestus.guard_user_email() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.email IS DISTINCT FROM OLD.email
       AND NOT hephaestus.has_role('admin')
       AND current_user <> (SELECT tableowner FROM pg_tables WHERE schemaname = 'hephaestus' AND tablename = 'users') THEN
        RAISE EXCEPTION 'only an admin may change an email' USING ERRCODE = 'insufficient_privilege', COLUMN = 'email';
    END IF;
    RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION hephaestus.guard_user_email() FROM hephaestus_app;

CREATE TRIGGER users_guard_email BEFORE UPDATE OF email ON hephaestus.users
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_user_email();
