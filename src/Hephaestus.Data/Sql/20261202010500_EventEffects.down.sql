DROP TABLE hephaestus.event_exports;
DROP INDEX hephaestus.ux_content_exposures_event;
ALTER TABLE hephaestus.content_exposures DROP COLUMN event_id;
DROP INDEX hephaestus.ux_evidence_event;
ALTER TABLE hephaestus.evidence DROP CONSTRAINT ck_evidence_event_id;
ALTER TABLE hephaestus.evidence DROP COLUMN event_id;
DROP TABLE hephaestus.event_activity_alignments;
