-- The xAPI learning record store's documents (State, Activity Profile, Agent Profile), the canonical Activity
-- definitions it learns from statements, and the HTTP Basic credentials an admin issues per activity provider (issue 11).
--
-- Who a provider is to row-level security: a request authenticated by provider credentials runs as the actor with the
-- nil user id and the single role 'xapi_provider' (a role no user can hold: ck_users_roles_known). It names no user,
-- so every learner policy of the other tables (can_read_learner, *_by_owner) shows it nothing; the policies below, and
-- the doors that map an agent to a user, name it explicitly.

-- Provider credentials: the key is public (the Basic user name), the secret is 256 random bits shown once; only its
-- SHA-256 is kept. A fast hash is right for a secret that cannot be guessed (a slow salted hash protects guessable
-- passwords and would cost milliseconds on every statement request); learner_scope limits the learners the provider
-- may name to one cohort's learners (a deleted cohort takes its credentials with it rather than widening them).
CREATE TABLE hephaestus.xapi_credentials (
    id uuid NOT NULL,
    name text NOT NULL,
    api_key text NOT NULL,
    secret_sha256 bytea NOT NULL,
    learner_scope uuid NULL,
    created_by uuid NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz NULL,
    CONSTRAINT pk_xapi_credentials PRIMARY KEY (id),
    CONSTRAINT ux_xapi_credentials_key UNIQUE (api_key),
    CONSTRAINT ck_xapi_credentials_name CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_xapi_credentials_key CHECK (api_key ~ '^[0-9a-f]{32}$'),
    CONSTRAINT ck_xapi_credentials_secret CHECK (octet_length(secret_sha256) = 32),
    CONSTRAINT fk_xapi_credentials_scope FOREIGN KEY (learner_scope) REFERENCES hephaestus.cohorts (id) ON DELETE CASCADE,
    CONSTRAINT fk_xapi_credentials_creator FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL
);
ALTER TABLE hephaestus.xapi_credentials ENABLE ROW LEVEL SECURITY;
CREATE POLICY xapi_credentials_admin ON hephaestus.xapi_credentials FOR ALL
    USING (hephaestus.has_role('admin')) WITH CHECK (hephaestus.has_role('admin'));
-- Credentials are revoked, never erased: the audit of who issued what stays.
REVOKE DELETE ON hephaestus.xapi_credentials FROM hephaestus_app;

-- Basic authentication runs before any actor exists, as token authentication does (resolve_actor): key in, the live
-- credential's id, name, scope and secret hash out; a revoked key is not found.
CREATE FUNCTION hephaestus.xapi_credential_by_key(p_key text)
    RETURNS TABLE (id uuid, name text, learner_scope uuid, secret_sha256 bytea)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$ SELECT c.id, c.name, c.learner_scope, c.secret_sha256 FROM xapi_credentials c WHERE c.api_key = p_key AND c.revoked_at IS NULL $$;
GRANT EXECUTE ON FUNCTION hephaestus.xapi_credential_by_key(text) TO hephaestus_app;

-- The user an xAPI agent names (by email, or by user id from an account on this service's home page), with the name and
-- email a Person object shows, for the actors allowed to ask: admins, providers (within their cohort when scoped), and
-- a user asking about themselves; anyone else gets no row. Users are behind their own policy, which a provider (no
-- user) cannot pass, hence the door.
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

-- One table for the three document resources: a document is addressed by its kind, activity IRI ('' for an agent
-- profile), agent IFI ('' for an activity profile), registration (state only) and its id. Bodies are small (the API's
-- 1 MiB request limit) and read and written whole under a row lock, so they live here as bytea rather than in the
-- object store (no second system to keep consistent for a document that changes on every suspend of a course).
-- user_id is the Hephaestus user the agent names, when it names one: their row-level security and their erasure.
CREATE TABLE hephaestus.xapi_documents (
    kind text NOT NULL,
    activity_id text NOT NULL,
    agent_ifi text NOT NULL,
    registration uuid NULL,
    document_id text NOT NULL,
    user_id uuid NULL,
    content_type text NOT NULL,
    body bytea NOT NULL,
    etag text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT ck_xapi_documents_kind CHECK (
        (kind = 'state' AND activity_id <> '' AND agent_ifi <> '')
        OR (kind = 'activity_profile' AND activity_id <> '' AND agent_ifi = '' AND registration IS NULL)
        OR (kind = 'agent_profile' AND activity_id = '' AND agent_ifi <> '' AND registration IS NULL)),
    CONSTRAINT ck_xapi_documents_lengths CHECK (char_length(activity_id) <= 2048 AND char_length(agent_ifi) <= 2100
        AND char_length(document_id) BETWEEN 1 AND 2048 AND char_length(content_type) BETWEEN 1 AND 255),
    CONSTRAINT ck_xapi_documents_size CHECK (octet_length(body) <= 1048576),
    CONSTRAINT ck_xapi_documents_etag CHECK (etag ~ '^[0-9a-f]{40}$'),
    CONSTRAINT fk_xapi_documents_user FOREIGN KEY (user_id) REFERENCES hephaestus.users (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX ux_xapi_documents_key ON hephaestus.xapi_documents
    (kind, activity_id, agent_ifi, coalesce(registration, '00000000-0000-0000-0000-000000000000'::uuid), document_id);
CREATE INDEX ix_xapi_documents_user ON hephaestus.xapi_documents (user_id) WHERE user_id IS NOT NULL;

ALTER TABLE hephaestus.xapi_documents ENABLE ROW LEVEL SECURITY;
-- Admins and providers see every document; a user the documents of their own agent; anyone signed in the activity
-- profiles (shared by all learners of an activity, naming none).
CREATE POLICY xapi_documents_select ON hephaestus.xapi_documents FOR SELECT
    USING (hephaestus.has_role('admin') OR hephaestus.has_role('xapi_provider')
        OR user_id = hephaestus.current_user_id() OR kind = 'activity_profile');
-- Who writes a document, one definition for the three write policies.
CREATE FUNCTION hephaestus.can_write_xapi_document(p_kind text, p_user_id uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
    SELECT hephaestus.has_role('admin') OR hephaestus.has_role('xapi_provider')
        OR (p_kind = 'activity_profile' AND hephaestus.has_role('author'))
        OR (p_kind <> 'activity_profile' AND p_user_id = hephaestus.current_user_id())
    $$;
GRANT EXECUTE ON FUNCTION hephaestus.can_write_xapi_document(text, uuid) TO hephaestus_app;
CREATE POLICY xapi_documents_insert ON hephaestus.xapi_documents FOR INSERT
    WITH CHECK (hephaestus.can_write_xapi_document(kind, user_id));
CREATE POLICY xapi_documents_update ON hephaestus.xapi_documents FOR UPDATE
    USING (hephaestus.can_write_xapi_document(kind, user_id)) WITH CHECK (hephaestus.can_write_xapi_document(kind, user_id));
CREATE POLICY xapi_documents_delete ON hephaestus.xapi_documents FOR DELETE
    USING (hephaestus.can_write_xapi_document(kind, user_id));

-- Canonical Activity definitions, learned from the statements that carry them (XapiActivityStore.RecordDefinitionsAsync)
-- and served by GET /xapi/activities. Not personal data: anyone signed in reads them, any actor's statements add to them.
CREATE TABLE hephaestus.xapi_activities (
    id text NOT NULL,
    definition jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_xapi_activities PRIMARY KEY (id),
    CONSTRAINT ck_xapi_activities_id CHECK (char_length(id) BETWEEN 1 AND 2048),
    CONSTRAINT ck_xapi_activities_definition CHECK (jsonb_typeof(definition) = 'object')
);
ALTER TABLE hephaestus.xapi_activities ENABLE ROW LEVEL SECURITY;
CREATE POLICY xapi_activities_select ON hephaestus.xapi_activities FOR SELECT
    USING (hephaestus.current_user_id() IS NOT NULL);
CREATE POLICY xapi_activities_write ON hephaestus.xapi_activities FOR ALL
    USING (hephaestus.current_user_id() IS NOT NULL) WITH CHECK (hephaestus.current_user_id() IS NOT NULL);
REVOKE DELETE ON hephaestus.xapi_activities FROM hephaestus_app;
