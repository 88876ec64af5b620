-- The application role and the per-transaction actor that row-level security reads.
--
-- Migrations run as the schema owner. The service runs as a login role that is a member of hephaestus_app, which owns
-- nothing, so row-level security applies to it. On a managed server whose owner lacks CREATEROLE, a DBA creates
-- hephaestus_app beforehand (see docs/operations.md) and this block does nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hephaestus_app') THEN
        CREATE ROLE hephaestus_app NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA hephaestus TO hephaestus_app;
-- Tables and functions created later by the owner (every later migration) are usable by the application role;
-- append-only tables revoke UPDATE and DELETE explicitly.
ALTER DEFAULT PRIVILEGES IN SCHEMA hephaestus GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO hephaestus_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA hephaestus GRANT USAGE, SELECT ON SEQUENCES TO hephaestus_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA hephaestus GRANT EXECUTE ON FUNCTIONS TO hephaestus_app;

-- The actor is set per transaction by the service: set_config('hephaestus.user_id', …, true) and
-- set_config('hephaestus.roles', '{learner,…}', true). Unset means NULL user and no roles: every policy fails closed.
CREATE FUNCTION hephaestus.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('hephaestus.user_id', true), '')::uuid $$;

CREATE FUNCTION hephaestus.current_roles() RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('hephaestus.roles', true), '')::text[], '{}'::text[]) $$;

CREATE FUNCTION hephaestus.has_role(wanted text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT wanted = ANY (hephaestus.current_roles()) $$;
