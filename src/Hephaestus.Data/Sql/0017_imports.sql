-- Roster and bank imports (issue 9, item 7): where imported rows came from, and who imported what.

-- A record of a school information system (a OneRoster sourcedId) names the user or cohort it became, so that a
-- re-import updates the same row instead of making another. One row per (system, kind, source id), one per entity and
-- system; the entity is a foreign key by kind, so erasing a user or deleting a cohort takes its mapping with it.
CREATE TABLE hephaestus.external_ids (
    system    text NOT NULL CONSTRAINT ck_external_ids_system CHECK (char_length(system) BETWEEN 1 AND 64),
    kind      text NOT NULL CONSTRAINT ck_external_ids_kind CHECK (kind IN ('user', 'cohort')),
    source_id text NOT NULL CONSTRAINT ck_external_ids_source_id CHECK (char_length(source_id) BETWEEN 1 AND 255),
    user_id   uuid REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    cohort_id uuid REFERENCES hephaestus.cohorts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_external_ids PRIMARY KEY (system, kind, source_id),
    CONSTRAINT ck_external_ids_entity CHECK ((kind = 'user') = (user_id IS NOT NULL) AND (kind = 'cohort') = (cohort_id IS NOT NULL)),
    CONSTRAINT ux_external_ids_user UNIQUE (system, user_id),
    CONSTRAINT ux_external_ids_cohort UNIQUE (system, cohort_id)
);
CREATE INDEX ix_external_ids_user ON hephaestus.external_ids (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX ix_external_ids_cohort ON hephaestus.external_ids (cohort_id) WHERE cohort_id IS NOT NULL;

-- Rosters are an admin's, as users and cohorts are (0002).
ALTER TABLE hephaestus.external_ids ENABLE ROW LEVEL SECURITY;
CREATE POLICY external_ids_admin ON hephaestus.external_ids FOR ALL
    USING (hephaestus.has_role('admin')) WITH CHECK (hephaestus.has_role('admin'));

-- The audit of imports: who (NULL for the operator at the command line, or "a user since erased"), what kind, how many
-- lines, and what changed. Append-only for the application role, as the other audit logs.
CREATE TABLE hephaestus.imports (
    id          uuid NOT NULL,
    kind        text NOT NULL CONSTRAINT ck_imports_kind CHECK (kind IN ('oneroster', 'items')),
    actor_id    uuid REFERENCES hephaestus.users (id) ON DELETE SET NULL,
    lines       integer NOT NULL CONSTRAINT ck_imports_lines CHECK (lines >= 0),
    counts      jsonb NOT NULL CONSTRAINT ck_imports_counts CHECK (jsonb_typeof(counts) = 'object'),
    imported_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_imports PRIMARY KEY (id)
);
CREATE INDEX ix_imports_actor ON hephaestus.imports (actor_id) WHERE actor_id IS NOT NULL;
REVOKE UPDATE, DELETE ON hephaestus.imports FROM hephaestus_app;

ALTER TABLE hephaestus.imports ENABLE ROW LEVEL SECURITY;
CREATE POLICY imports_select ON hephaestus.imports FOR SELECT
    USING (hephaestus.has_role('admin') OR actor_id = hephaestus.current_user_id());
CREATE POLICY imports_insert ON hephaestus.imports FOR INSERT
    WITH CHECK (CASE kind WHEN 'oneroster' THEN hephaestus.has_role('admin') ELSE hephaestus.can_author() END
                AND actor_id IS NOT DISTINCT FROM hephaestus.current_user_id());
