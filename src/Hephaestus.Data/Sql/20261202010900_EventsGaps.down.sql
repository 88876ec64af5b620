ALTER TABLE hephaestus.event_exports
    DROP CONSTRAINT ck_event_exports_stored_key,
    DROP COLUMN last_learner_id,
    DROP COLUMN last_stored_at,
    -- Files written in stored order may not satisfy the old range: NOT VALID keeps them.
    ADD CONSTRAINT ck_event_exports_range CHECK ((first_occurred_at, first_id) <= (last_occurred_at, last_id)) NOT VALID;

CREATE FUNCTION hephaestus.xapi_agent_users(p_keys text[])
    RETURNS TABLE (agent_key text, user_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT k.key, u.id
        FROM unnest(p_keys) AS k(key)
        JOIN users u ON
            CASE split_part(k.key, ':', 1)
                WHEN 'mbox' THEN lower(u.email) = lower(substr(k.key, length('mbox:') + 1))
                WHEN 'mbox_sha1sum' THEN mailto_sha1(u.email) = lower(substr(k.key, length('mbox_sha1sum:') + 1))
                WHEN 'account' THEN u.id::text = lower(substr(k.key, length('account:') + 1))
                ELSE false
            END
        WHERE u.id = current_user_id() OR has_role('admin') OR has_role('xapi_provider')
    $$;
GRANT EXECUTE ON FUNCTION hephaestus.xapi_agent_users(text[]) TO hephaestus_app;

CREATE FUNCTION hephaestus.xapi_agent_user(p_email text, p_user_id uuid, p_cohort uuid)
    RETURNS TABLE (id uuid, email text, display_name text)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
    SELECT u.id, u.email, u.display_name FROM users u
    WHERE (lower(u.email) = lower(p_email) OR u.id = p_user_id)
      AND (has_role('admin') OR has_role('xapi_provider') OR u.id = current_user_id())
      AND (p_cohort IS NULL OR EXISTS (
          SELECT FROM cohort_members m WHERE m.cohort_id = p_cohort AND m.user_id = u.id AND m.member_role = 'learner'))
    ORDER BY u.id LIMIT 1
    $$;
GRANT EXECUTE ON FUNCTION hephaestus.xapi_agent_user(text, uuid, uuid) TO hephaestus_app;

DROP FUNCTION hephaestus.xapi_agent_users(text[], uuid);
