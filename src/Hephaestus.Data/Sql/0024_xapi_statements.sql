-- Issue 11, part 1: the xAPI Statements resource. Every Statement is also a row of hephaestus.learning_events (one
-- store, one timeline); this table is the LRS's own record of it: the exact text as accepted (format=exact returns it
-- byte for byte), its id made globally unique (a unique index on the partitioned events table would have to include
-- the partition key), the voiding target, and what the query parameters filter on.

-- Who acts for an activity provider: requests authenticated by a provider's HTTP Basic credentials act with the role
-- 'xapi_provider' and the provider's id in this transaction-local setting (set by Data/Xapi with the actor).
CREATE FUNCTION hephaestus.current_xapi_provider() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('hephaestus.xapi_provider', true), '')::uuid $$;
GRANT EXECUTE ON FUNCTION hephaestus.current_xapi_provider() TO hephaestus_app;

CREATE TABLE hephaestus.xapi_statements (
    statement_id         uuid NOT NULL,
    -- The Hephaestus user the actor maps to, and the learning event the Statement became.
    learner_id           uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    event_occurred_at    timestamptz NOT NULL,
    event_id             uuid NOT NULL,
    -- Set by the LRS (milliseconds: the precision it writes in the Statement, so since/until compare what clients see).
    stored               timestamptz NOT NULL,
    -- The activity provider whose credentials sent it; NULL when a user's own token did.
    provider_id          uuid,
    verb                 text NOT NULL,
    -- The object's id when the object is an Activity (the `activity` filter).
    activity_id          text,
    registration         uuid,
    -- A voiding Statement's target. A Statement is voided when a voiding Statement names it (and it is not itself one).
    voids                uuid,
    -- Inverse functional identifiers as keys (Domain/Xapi/XapiStatementFacts.Keys): of the actor and an Agent or Group
    -- object (`agent`), and of every agent the Statement relates to (`related_agents`); every Activity it relates to
    -- (`related_activities`).
    agent_keys           text[] NOT NULL,
    related_agent_keys   text[] NOT NULL,
    related_activity_ids text[] NOT NULL,
    -- The Statement as accepted: the client's bytes plus what the LRS adds (Domain/Xapi/XapiStatementText). text, not
    -- jsonb, so whitespace, key order and escapes stay as they came.
    statement            text NOT NULL,
    CONSTRAINT pk_xapi_statements PRIMARY KEY (statement_id),
    CONSTRAINT ck_xapi_statements_verb CHECK (char_length(verb) BETWEEN 1 AND 2048),
    CONSTRAINT ck_xapi_statements_not_self_voiding CHECK (voids IS DISTINCT FROM statement_id)
);
-- Every query orders by (stored, statement_id), each filter with its own index in that order.
CREATE INDEX ix_xapi_statements_stored ON hephaestus.xapi_statements (stored, statement_id);
CREATE INDEX ix_xapi_statements_learner ON hephaestus.xapi_statements (learner_id, stored, statement_id);
CREATE INDEX ix_xapi_statements_verb ON hephaestus.xapi_statements (verb, stored, statement_id);
CREATE INDEX ix_xapi_statements_activity ON hephaestus.xapi_statements (activity_id, stored, statement_id) WHERE activity_id IS NOT NULL;
CREATE INDEX ix_xapi_statements_registration ON hephaestus.xapi_statements (registration, stored, statement_id) WHERE registration IS NOT NULL;
CREATE INDEX ix_xapi_statements_voids ON hephaestus.xapi_statements (voids) WHERE voids IS NOT NULL;
CREATE INDEX ix_xapi_statements_agents ON hephaestus.xapi_statements USING gin (agent_keys);
CREATE INDEX ix_xapi_statements_related_agents ON hephaestus.xapi_statements USING gin (related_agent_keys);
CREATE INDEX ix_xapi_statements_related_activities ON hephaestus.xapi_statements USING gin (related_activity_ids);

ALTER TABLE hephaestus.xapi_statements ENABLE ROW LEVEL SECURITY;
CREATE POLICY xapi_statements_read ON hephaestus.xapi_statements FOR SELECT
    USING (hephaestus.can_read_learner(learner_id)
           OR (hephaestus.has_role('xapi_provider') AND provider_id = hephaestus.current_xapi_provider()));
CREATE POLICY xapi_statements_write ON hephaestus.xapi_statements FOR INSERT
    WITH CHECK (CASE WHEN hephaestus.has_role('xapi_provider') THEN provider_id = hephaestus.current_xapi_provider()
                     ELSE provider_id IS NULL AND hephaestus.can_write_learner(learner_id) END);
-- Statements are immutable: voiding is another Statement, erasure the cascade from users.
REVOKE UPDATE, DELETE ON hephaestus.xapi_statements FROM hephaestus_app;

-- The ids of voided Statements, written with the voiding Statement (which may arrive before its target: the
-- specification says not to refuse it). A table of ids alone that every reader sees, so a Statement voided by someone
-- whose voiding Statement the reader cannot read (an admin voiding a learner's) is hidden from that reader too.
-- A voiding Statement is never voided (refused at write), so "voided" is: a row here, and the Statement is no voiding one.
CREATE TABLE hephaestus.xapi_voided (
    statement_id uuid NOT NULL,
    voided_by    uuid NOT NULL REFERENCES hephaestus.xapi_statements (statement_id) ON DELETE CASCADE,
    CONSTRAINT pk_xapi_voided PRIMARY KEY (statement_id)
);
CREATE INDEX ix_xapi_voided_by ON hephaestus.xapi_voided (voided_by);
ALTER TABLE hephaestus.xapi_voided ENABLE ROW LEVEL SECURITY;
-- Ids only, and every reader must see them (above): readable by all; written with a voiding Statement the writer stored.
CREATE POLICY xapi_voided_read ON hephaestus.xapi_voided FOR SELECT USING (true);
CREATE POLICY xapi_voided_write ON hephaestus.xapi_voided FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM hephaestus.xapi_statements s WHERE s.statement_id = xapi_voided.voided_by));
REVOKE UPDATE, DELETE ON hephaestus.xapi_voided FROM hephaestus_app;

-- Attachments: one row per attachment header of a Statement; object_sha256 names the body in the object store (content
-- addressed by SHA-256, the store content bodies use) when it came as a part of the request, NULL when only fileUrl.
CREATE TABLE hephaestus.xapi_attachments (
    statement_id  uuid NOT NULL REFERENCES hephaestus.xapi_statements (statement_id) ON DELETE CASCADE,
    position      integer NOT NULL,
    sha2          text NOT NULL,
    content_type  text NOT NULL,
    length        bigint NOT NULL,
    object_sha256 text,
    CONSTRAINT pk_xapi_attachments PRIMARY KEY (statement_id, position),
    CONSTRAINT ck_xapi_attachments_sha2 CHECK (sha2 ~ '^[0-9a-f]{56}([0-9a-f]{8}|[0-9a-f]{40}|[0-9a-f]{72})?$'),
    CONSTRAINT ck_xapi_attachments_object CHECK (object_sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_xapi_attachments_length CHECK (length >= 0),
    CONSTRAINT ck_xapi_attachments_content_type CHECK (char_length(content_type) BETWEEN 1 AND 255)
);
-- `content gc` keeps objects an attachment names (Data/Content/ContentBodies looks here too).
CREATE INDEX ix_xapi_attachments_object ON hephaestus.xapi_attachments (object_sha256) WHERE object_sha256 IS NOT NULL;
ALTER TABLE hephaestus.xapi_attachments ENABLE ROW LEVEL SECURITY;
CREATE POLICY xapi_attachments_read ON hephaestus.xapi_attachments FOR SELECT
    USING (EXISTS (SELECT 1 FROM hephaestus.xapi_statements s WHERE s.statement_id = xapi_attachments.statement_id));
CREATE POLICY xapi_attachments_write ON hephaestus.xapi_attachments FOR INSERT
    WITH CHECK (EXISTS (SELECT 1 FROM hephaestus.xapi_statements s WHERE s.statement_id = xapi_attachments.statement_id));
REVOKE UPDATE, DELETE ON hephaestus.xapi_attachments FROM hephaestus_app;

-- Agents to users ---------------------------------------------------------------------------------------------------

-- mbox_sha1sum is the SHA-1 of "mailto:" + the address; users are found by it through this index. The address is
-- lowercased (emails are unique ignoring case here, and the specification asks clients to hash lowercase domains).
-- PostgreSQL has SHA-2 built in but not SHA-1: pgcrypto (a trusted contrib extension, which the database owner may
-- create, as pg_trgm) supplies it.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE FUNCTION hephaestus.mailto_sha1(email text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT encode(public.digest(convert_to('mailto:' || lower(email), 'UTF8'), 'sha1'), 'hex') $$;
GRANT EXECUTE ON FUNCTION hephaestus.mailto_sha1(text) TO hephaestus_app;
CREATE INDEX ix_users_mailto_sha1 ON hephaestus.users (hephaestus.mailto_sha1(email));

-- The users that xAPI agents name: keys 'mbox:<address>', 'mbox_sha1sum:<hex>', 'account:<user id>' (the account's
-- homePage is checked by the caller). SECURITY DEFINER: an activity provider's actor reads no users rows. It answers
-- only for users the actor may write for (itself; any user for an admin or a provider), so it is no oracle of who
-- has an account: a learner naming someone else learns nothing more than "not you".
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

-- Of these Statement ids, those stored, whether each is itself a voiding Statement, and whether the actor may void it
-- (its learner is the actor, or the actor is an admin, or the provider that sent it). SECURITY DEFINER so that a
-- voiding Statement naming a Statement the actor cannot read is refused rather than silently voiding it.
CREATE FUNCTION hephaestus.xapi_void_targets(p_ids uuid[])
    RETURNS TABLE (statement_id uuid, is_voiding boolean, may_void boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT s.statement_id, s.voids IS NOT NULL,
               s.learner_id = current_user_id() OR has_role('admin')
               OR (has_role('xapi_provider') AND s.provider_id = current_xapi_provider())
        FROM xapi_statements s WHERE s.statement_id = ANY (p_ids)
    $$;
GRANT EXECUTE ON FUNCTION hephaestus.xapi_void_targets(uuid[]) TO hephaestus_app;

-- Learning events from activity providers ------------------------------------------------------------------------------

-- An activity provider writes the events of the learners its Statements name (mapped above); only xAPI events.
CREATE POLICY learning_events_write_xapi_provider ON hephaestus.learning_events FOR INSERT
    WITH CHECK (hephaestus.has_role('xapi_provider') AND source = 'xapi');
