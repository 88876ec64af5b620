-- Reverts 20261201210000_DefenceInDepth: the email guard, the key doors, the owner-only write policies and the
-- function and database privileges go back to what PostgreSQL grants by default.

DROP TRIGGER users_guard_email ON hephaestus.users;
DROP FUNCTION hephaestus.guard_user_email();

DROP FUNCTION hephaestus.attempt_item_definitions(uuid, uuid), hephaestus.item_definitions(uuid[]);
-- Revoking the table's SELECT takes the column grants with it; then the whole table is granted again.
REVOKE SELECT ON hephaestus.item_versions FROM hephaestus_app;
GRANT SELECT ON hephaestus.item_versions TO hephaestus_app;

-- The restrictive policies of 0009, found by their suffix.
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT policyname, tablename FROM pg_policies
             WHERE schemaname = 'hephaestus' AND policyname LIKE '%\_by\_owner' AND permissive = 'RESTRICTIVE'
    LOOP
        EXECUTE format('DROP POLICY %I ON hephaestus.%I', p.policyname, p.tablename);
    END LOOP;
END
$$;
DROP FUNCTION hephaestus.in_learner_record();

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;

ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA hephaestus TO PUBLIC, hephaestus_app;
