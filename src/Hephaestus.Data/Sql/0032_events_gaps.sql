-- Issue 11, gaps found in review: one mapping from xAPI agents to users, and an export that also writes late events.

-- Agents to users: one door --------------------------------------------------------------------------------------------

-- The users xAPI agents name, for every door that maps them (Statements, documents, the Agents resource): keys
-- 'mbox:<address>' (the user's email, ignoring case), 'mbox_sha1sum:<hex>' (SHA-1 of 'mailto:' + the lowercased email)
-- and 'account:<user id>' (the account's homePage is checked by the caller: Data/Xapi/XapiAgents.UserKey). It answers
-- only for users the actor may write for (itself; any user for an admin or a provider) and, with p_cohort (a scoped
-- provider's cohort), only for that cohort's learners: so it is no oracle of who has an account. SECURITY DEFINER: an
-- activity provider's actor reads no users rows. Three lookups, each on its own index (lower(email), mailto_sha1(email),
-- the primary key), rather than one join on a CASE, which no index can serve.
CREATE FUNCTION hephaestus.xapi_agent_users(p_keys text[], p_cohort uuid)
    RETURNS TABLE (agent_key text, user_id uuid, email text, display_name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        WITH named AS (
            SELECT k.key, u.id, u.email, u.display_name
            FROM unnest(p_keys) AS k(key) JOIN users u ON lower(u.email) = lower(substr(k.key, length('mbox:') + 1))
            WHERE k.key LIKE 'mbox:%'
            UNION ALL
            SELECT k.key, u.id, u.email, u.display_name
            FROM unnest(p_keys) AS k(key) JOIN users u ON mailto_sha1(u.email) = lower(substr(k.key, length('mbox_sha1sum:') + 1))
            WHERE k.key LIKE 'mbox\_sha1sum:%'
            UNION ALL
            SELECT k.key, u.id, u.email, u.display_name
            FROM unnest(p_keys) AS k(key) JOIN users u ON u.id =
                CASE WHEN k.key ~* '^account:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN substr(k.key, length('account:') + 1)::uuid END
        )
        SELECT n.key, n.id, n.email, n.display_name FROM named n
        WHERE (n.id = current_user_id() OR has_role('admin') OR has_role('xapi_provider'))
          AND (p_cohort IS NULL OR EXISTS (
              SELECT FROM cohort_members m WHERE m.cohort_id = p_cohort AND m.user_id = n.id AND m.member_role = 'learner'))
    $$;
GRANT EXECUTE ON FUNCTION hephaestus.xapi_agent_users(text[], uuid) TO hephaestus_app;

-- The two doors it replaces: the Statements resource's (no cohort scope, so a scoped provider could write for anyone)
-- and the documents' (no mbox_sha1sum).
DROP FUNCTION hephaestus.xapi_agent_users(text[]);
DROP FUNCTION hephaestus.xapi_agent_user(text, uuid, uuid);

-- The export: by ingestion, so late events go out too -------------------------------------------------------------------

-- A day's rows are exported in the order they were stored, (stored_at, learner_id, occurred_at, id) (the primary key
-- with stored_at first: unique), and each file records the key of its last row. An event stored late for a day that
-- went out already has a later stored_at than every row exported, so the next run writes it as the day's next file.
-- Files recorded before this migration hold rows in (occurred_at, id) order (their last_stored_at is NULL): for such a
-- day, the rows after the last of them, or stored after it was exported, are the ones still to go
-- (Data/Events/EventExport).
ALTER TABLE hephaestus.event_exports
    ADD COLUMN last_stored_at timestamptz,
    ADD COLUMN last_learner_id uuid,
    DROP CONSTRAINT ck_event_exports_range,
    ADD CONSTRAINT ck_event_exports_stored_key CHECK ((last_stored_at IS NULL) = (last_learner_id IS NULL));
