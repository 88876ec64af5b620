-- Reverts 20261201210500_BankBrowseAndWindows. Versions after the first are dropped with their parts: attempts that
-- took them then point at the assessment alone, as before versions existed.

DROP TRIGGER attempts_take_current_version ON hephaestus.attempts;
DROP TRIGGER assessment_parts_frozen_when_attempted ON hephaestus.assessment_parts;
DROP TRIGGER assessment_versions_frozen_when_attempted ON hephaestus.assessment_versions;
DROP FUNCTION hephaestus.attempt_takes_current_version(), hephaestus.guard_attempted_assessment_version(),
    hephaestus.assessment_version_attempted(uuid, integer);

DROP INDEX hephaestus.ix_attempts_assessment_version;
ALTER TABLE hephaestus.attempts DROP COLUMN late, DROP COLUMN due_at, DROP COLUMN assessment_version;

-- Each assessment keeps the parts of its current version.
DELETE FROM hephaestus.assessment_parts p USING hephaestus.assessments a WHERE a.id = p.assessment_id AND p.version <> a.version;
ALTER TABLE hephaestus.assessment_parts DROP CONSTRAINT assessment_parts_pkey;
ALTER TABLE hephaestus.assessment_parts DROP COLUMN version;
ALTER TABLE hephaestus.assessment_parts ADD PRIMARY KEY (assessment_id, position);
DROP TABLE hephaestus.assessment_versions;

DROP INDEX hephaestus.ix_assessments_search;
ALTER TABLE hephaestus.assessments
    DROP COLUMN description, DROP COLUMN version, DROP COLUMN status, DROP COLUMN retired_at, DROP COLUMN available_from,
    DROP COLUMN available_until, DROP COLUMN due_at, DROP COLUMN updated_at;

DROP INDEX hephaestus.ix_item_versions_prompt_search;
DROP INDEX hephaestus.ix_items_tags;
ALTER TABLE hephaestus.items DROP COLUMN tags;
