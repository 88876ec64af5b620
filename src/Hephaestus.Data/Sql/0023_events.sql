-- Issue 11, parts 2 and 3: one store of learning events (native batch events and xAPI statements), partitioned by UTC
-- day, with the staging table of the native batch path and the doors through which the service keeps partitions.

-- The events -----------------------------------------------------------------------------------------------------------

-- Observations, not derived learner state: evidence made from them goes through Data/Learning/LearnerRecord. Partitioned
-- by occurred_at, one partition per UTC day (docs/architecture.md, "Events", says why a day): a retention drops whole
-- partitions, a timeline read over a bounded time range prunes the rest. The primary key leads with learner_id (as every
-- learner table, ready to be distributed by it) and its btree, read backwards, is the timeline's
-- (learner_id, occurred_at DESC, id DESC) order: no second index to write at ingestion.
CREATE TABLE hephaestus.learning_events (
    learner_id      uuid NOT NULL,
    occurred_at     timestamptz NOT NULL,
    id              uuid NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now(),
    source          text NOT NULL CONSTRAINT ck_learning_events_source CHECK (source IN ('native', 'xapi')),
    -- Native events: the client's id, unique per learner and occurred time (the partition key must be part of every
    -- unique index, so a retry must resend the same occurredAt to be recognised as the same event).
    client_event_id text CONSTRAINT ck_learning_events_client_event_id CHECK (char_length(client_event_id) BETWEEN 1 AND 200),
    verb            text NOT NULL CONSTRAINT ck_learning_events_verb CHECK (char_length(verb) BETWEEN 1 AND 2048),
    object_type     text NOT NULL CONSTRAINT ck_learning_events_object_type CHECK (char_length(object_type) BETWEEN 1 AND 64),
    object_id       text NOT NULL CONSTRAINT ck_learning_events_object_id CHECK (char_length(object_id) BETWEEN 1 AND 2048),
    result          jsonb,
    context         jsonb,
    -- result.score.scaled and result.duration, copied out of the JSON so evidence rules and analytics read columns.
    score_scaled    double precision CONSTRAINT ck_learning_events_score_scaled CHECK (score_scaled BETWEEN -1 AND 1),
    duration_ms     bigint CONSTRAINT ck_learning_events_duration_ms CHECK (duration_ms >= 0),
    CONSTRAINT pk_learning_events PRIMARY KEY (learner_id, occurred_at, id),
    CONSTRAINT fk_learning_events_learner FOREIGN KEY (learner_id) REFERENCES hephaestus.users (id) ON DELETE CASCADE
) PARTITION BY RANGE (occurred_at);

-- Duplicates of native events (a client's retry) are found here and dropped by ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX ux_learning_events_client_event ON hephaestus.learning_events (learner_id, client_event_id, occurred_at)
    WHERE client_event_id IS NOT NULL;
-- Time-range scans (exports, analytics, counts over a cohort, xAPI's since/until by stored time): a few pages per table.
CREATE INDEX ix_learning_events_occurred_brin ON hephaestus.learning_events USING brin (occurred_at);
CREATE INDEX ix_learning_events_stored_brin ON hephaestus.learning_events USING brin (stored_at);

ALTER TABLE hephaestus.learning_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY learning_events_read ON hephaestus.learning_events FOR SELECT
    USING (hephaestus.can_read_learner(learner_id) OR hephaestus.has_role('analyst'));
CREATE POLICY learning_events_write ON hephaestus.learning_events FOR INSERT
    WITH CHECK (hephaestus.can_write_learner(learner_id));
-- A record of what happened: never changed by the application; erasing the user deletes them (the cascade), retention
-- drops whole partitions.
REVOKE UPDATE, DELETE, TRUNCATE ON hephaestus.learning_events FROM hephaestus_app;

-- The native batch path's staging table --------------------------------------------------------------------------------

-- Binary COPY is refused on a table with row-level security, so a batch is copied here first and moved into
-- learning_events by one INSERT … SELECT (where the policies check every row) that deletes it from here in the same
-- statement. A table rather than a temporary one: PUBLIC may not create temporary tables (Sql/0009_defence_in_depth.sql)
-- and a pooled connection's reset would drop and recreate one for every batch. Unlogged (nothing here survives a
-- transaction, so nothing needs WAL) and keyed by batch: concurrent batches never see each other's rows, which are
-- never committed.
CREATE UNLOGGED TABLE hephaestus.learning_event_staging (
    batch_id        uuid NOT NULL,
    learner_id      uuid NOT NULL,
    occurred_at     timestamptz NOT NULL,
    id              uuid NOT NULL,
    client_event_id text NOT NULL,
    verb            text NOT NULL,
    object_type     text NOT NULL,
    object_id       text NOT NULL,
    result          jsonb,
    context         jsonb,
    score_scaled    double precision,
    duration_ms     bigint
);
CREATE INDEX ix_learning_event_staging_batch ON hephaestus.learning_event_staging (batch_id);
REVOKE UPDATE, TRUNCATE ON hephaestus.learning_event_staging FROM hephaestus_app;
-- The one table without row-level security (COPY refuses it): it holds only rows no other transaction can see.

-- Partitions: made ahead, dropped by retention ------------------------------------------------------------------------

-- The service's role owns nothing and may not run DDL, so partitions are kept through these SECURITY DEFINER doors.
-- Each serialises on one advisory lock, so several instances maintaining at once neither collide nor fail.

-- The partition holding one UTC day, named learning_events_pYYYYMMDD. Made as a plain table with a CHECK matching its
-- range, then attached: ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE on learning_events, which ingestion and reads do
-- not wait for (CREATE TABLE … PARTITION OF would take ACCESS EXCLUSIVE, queueing every insert behind it), and the
-- CHECK spares the validating scan. The application role gets no privilege on the partition itself: it reaches the rows
-- only through learning_events, whose policies apply. True when it made the partition, false when it existed.
CREATE FUNCTION hephaestus.create_event_partition(day date) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
DECLARE
    name text := 'learning_events_p' || to_char(day, 'YYYYMMDD');
    low text := quote_literal(to_char(day, 'YYYY-MM-DD') || ' 00:00:00+00');
    high text := quote_literal(to_char(day + 1, 'YYYY-MM-DD') || ' 00:00:00+00');
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('hephaestus.learning_events.partitions'));
    IF to_regclass('hephaestus.' || quote_ident(name)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE hephaestus.%I (LIKE hephaestus.learning_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('ALTER TABLE hephaestus.%I ADD CONSTRAINT %I CHECK (occurred_at >= %s AND occurred_at < %s)',
                   name, name || '_range', low, high);
    EXECUTE format('ALTER TABLE hephaestus.learning_events ATTACH PARTITION hephaestus.%I FOR VALUES FROM (%s) TO (%s)',
                   name, low, high);
    EXECUTE format('ALTER TABLE hephaestus.%I DROP CONSTRAINT %I', name, name || '_range');
    EXECUTE format('REVOKE ALL ON hephaestus.%I FROM hephaestus_app', name);
    -- Policies apply to the table a statement names, so these (none) bind only a statement naming the partition.
    EXECUTE format('ALTER TABLE hephaestus.%I ENABLE ROW LEVEL SECURITY', name);
    RETURN true;
END
$$;

-- The partitions, oldest first, with the UTC day each holds.
CREATE FUNCTION hephaestus.event_partitions() RETURNS TABLE (name text, day date)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT c.relname::text, to_date(substring(c.relname FROM 'learning_events_p(\d{8})$'), 'YYYYMMDD')
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'hephaestus.learning_events'::regclass
        ORDER BY 2
    $$;

-- Retention: detaches and drops the partition of one day, which must lie before yesterday (a door that drops today's
-- events would be one mistake away from an outage). The service may not run DETACH … CONCURRENTLY (not inside a function,
-- and it is not the owner), so this takes ACCESS EXCLUSIVE on learning_events for an instant, and waits for it at most
-- 200 ms (lock_timeout, SQLSTATE 55P03): a waiting ACCESS EXCLUSIVE request queues every insert behind it, so the
-- caller retries later rather than waiting behind a long transaction. `hephaestus events maintain`, run as the
-- owner, detaches concurrently instead. True when it dropped the partition.
CREATE FUNCTION hephaestus.drop_event_partition(day date) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp SET lock_timeout = '200ms'
    AS $$
DECLARE
    name text := 'learning_events_p' || to_char(day, 'YYYYMMDD');
BEGIN
    IF day >= (now() AT TIME ZONE 'UTC')::date - 1 THEN
        RAISE EXCEPTION 'the partition of % is too recent to drop', day USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('hephaestus.learning_events.partitions'));
    IF to_regclass('hephaestus.' || quote_ident(name)) IS NULL THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = ('hephaestus.' || quote_ident(name))::regclass) THEN
        EXECUTE format('ALTER TABLE hephaestus.learning_events DETACH PARTITION hephaestus.%I', name);
    END IF;
    EXECUTE format('DROP TABLE hephaestus.%I', name);
    RETURN true;
END
$$;

GRANT EXECUTE ON FUNCTION hephaestus.create_event_partition(date), hephaestus.event_partitions(),
    hephaestus.drop_event_partition(date) TO hephaestus_app;

-- The current UTC day, the days before it that an event may still be dated (30: the service's default), and a few days
-- ahead; the service's maintenance keeps this window moving (Server/Hosting/EventMaintenanceService).
DO $$
BEGIN
    PERFORM hephaestus.create_event_partition(d::date)
    FROM generate_series((now() AT TIME ZONE 'UTC')::date - 30, (now() AT TIME ZONE 'UTC')::date + 3, interval '1 day') d;
END
$$;
