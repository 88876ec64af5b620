-- Issue 11, parts 5 and 6: what stored learning events do to learner state (evidence from scored results on aligned
-- activities, content steps completed by content-viewed events, the exposures those record), exactly once per event,
-- and the watermark of the Parquet export to the data lake.

-- Activities aligned to skills or items ---------------------------------------------------------------------------------

-- An author's statement that an activity (an xAPI activity IRI, or a native event's object id) measures a skill (with a
-- weight) or an item (whose current version's skills and weights then apply). The service keeps them in memory and
-- matches events in C# (Data/Events/ActivityAlignments), so ingestion makes no round trip for an event nothing aligns.
CREATE TABLE hephaestus.event_activity_alignments (
    id          uuid PRIMARY KEY,
    activity_id text NOT NULL CONSTRAINT ck_event_activity_alignments_activity_id CHECK (char_length(activity_id) BETWEEN 1 AND 2048),
    skill_id    uuid CONSTRAINT fk_event_activity_alignments_skill REFERENCES hephaestus.skills (id) ON DELETE CASCADE,
    item_id     uuid CONSTRAINT fk_event_activity_alignments_item REFERENCES hephaestus.items (id) ON DELETE CASCADE,
    weight      numeric(5, 4) NOT NULL DEFAULT 1 CONSTRAINT ck_event_activity_alignments_weight CHECK (weight > 0 AND weight <= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_event_activity_alignments_target CHECK ((skill_id IS NULL) <> (item_id IS NULL)),
    -- An item's skills carry their own weights.
    CONSTRAINT ck_event_activity_alignments_item_weight CHECK (item_id IS NULL OR weight = 1)
);
CREATE UNIQUE INDEX ux_event_activity_alignments_skill ON hephaestus.event_activity_alignments (activity_id, skill_id) WHERE skill_id IS NOT NULL;
CREATE UNIQUE INDEX ux_event_activity_alignments_item ON hephaestus.event_activity_alignments (activity_id, item_id) WHERE item_id IS NOT NULL;
CREATE INDEX ix_event_activity_alignments_skill ON hephaestus.event_activity_alignments (skill_id) WHERE skill_id IS NOT NULL;
CREATE INDEX ix_event_activity_alignments_item ON hephaestus.event_activity_alignments (item_id) WHERE item_id IS NOT NULL;

-- Catalog data: anyone signed in reads it (ingestion as a learner matches against it), authors and admins write it.
ALTER TABLE hephaestus.event_activity_alignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY event_activity_alignments_read ON hephaestus.event_activity_alignments FOR SELECT USING (hephaestus.is_signed_in());
CREATE POLICY event_activity_alignments_write ON hephaestus.event_activity_alignments FOR ALL
    USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());
-- An alignment is replaced, never edited: evidence already recorded under it stays what it was.
REVOKE UPDATE, TRUNCATE ON hephaestus.event_activity_alignments FROM hephaestus_app;

-- Exactly once per event ----------------------------------------------------------------------------------------------

-- Evidence made from an event names it. One row per event and skill at most: a replayed or duplicated event (a door
-- that let it through twice, two batches racing) never counts twice. LearnerRecord checks under the mastery row lock
-- before it folds anything; this index is the backstop. (An event aligned to several skills yields one row per skill.)
ALTER TABLE hephaestus.evidence ADD COLUMN event_id uuid;
ALTER TABLE hephaestus.evidence ADD CONSTRAINT ck_evidence_event_id CHECK (event_id IS NULL OR source = 'event');
CREATE UNIQUE INDEX ux_evidence_event ON hephaestus.evidence (learner_id, event_id, skill_id) WHERE event_id IS NOT NULL;

-- An exposure recorded from a content-viewed event names it, once per event (ON CONFLICT DO NOTHING on this index).
ALTER TABLE hephaestus.content_exposures ADD COLUMN event_id uuid;
CREATE UNIQUE INDEX ux_content_exposures_event ON hephaestus.content_exposures (learner_id, event_id) WHERE event_id IS NOT NULL;

-- The export's watermark ------------------------------------------------------------------------------------------------

-- One row per Parquet file written to the object store, inserted only after the file is durable there. A day's
-- watermark is its last file's (last_occurred_at, last_id): the next run exports the day's rows after it, in
-- (occurred_at, id) order, as file file_number + 1. A run interrupted after the upload but before this row rewrites the
-- same name from the same watermark: nothing skipped, nothing twice.
CREATE TABLE hephaestus.event_exports (
    day              date NOT NULL,
    file_number      integer NOT NULL CONSTRAINT ck_event_exports_file_number CHECK (file_number >= 1),
    object_name      text NOT NULL CONSTRAINT ck_event_exports_object_name CHECK (char_length(object_name) BETWEEN 1 AND 1024),
    row_count        bigint NOT NULL CONSTRAINT ck_event_exports_row_count CHECK (row_count >= 1),
    first_occurred_at timestamptz NOT NULL,
    first_id         uuid NOT NULL,
    last_occurred_at timestamptz NOT NULL,
    last_id          uuid NOT NULL,
    exported_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_event_exports PRIMARY KEY (day, file_number),
    CONSTRAINT uq_event_exports_object_name UNIQUE (object_name),
    CONSTRAINT ck_event_exports_range CHECK ((first_occurred_at, first_id) <= (last_occurred_at, last_id))
);
-- The export runs as the schema owner (`hephaestus events export`), which reads every learner's events; the service's
-- role has no business here.
ALTER TABLE hephaestus.event_exports ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON hephaestus.event_exports FROM hephaestus_app;
