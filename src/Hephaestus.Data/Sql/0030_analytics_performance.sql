-- Issue 12, part 2 (performance across modules and programs): when each skill was mastered, for the weekly progress
-- series (Data/Analytics/PerformanceStore.Progress). learner_skill_mastery holds only the current state, and replaying
-- every learner's evidence to find the moment it crossed the mastery threshold would cost a full replay per read.

-- The observation time of the evidence that made the skill mastered (last_evidence_at at that moment: the evidence's
-- observed_at, not the time it was recorded, so imported or late evidence lands in its own week); null while not
-- mastered. Kept by the trigger below, so the one writer (Data/Learning/MasteryRecorder through LearnerRecord) needs no
-- change and cannot forget it. Losing mastery clears it; mastering again sets it again.
ALTER TABLE hephaestus.learner_skill_mastery ADD COLUMN mastered_at timestamptz;
-- Rows mastered before this migration: the best estimate is their last evidence (the moment is not recorded anywhere).
UPDATE hephaestus.learner_skill_mastery SET mastered_at = coalesce(last_evidence_at, updated_at) WHERE mastered;
ALTER TABLE hephaestus.learner_skill_mastery ADD CONSTRAINT ck_learner_skill_mastery_mastered_at CHECK (mastered OR mastered_at IS NULL);

CREATE FUNCTION hephaestus.stamp_mastered_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NOT NEW.mastered THEN
        NEW.mastered_at := NULL;
    ELSIF TG_OP = 'INSERT' THEN
        NEW.mastered_at := coalesce(NEW.mastered_at, NEW.last_evidence_at, now());
    ELSIF NOT OLD.mastered THEN
        NEW.mastered_at := coalesce(NEW.last_evidence_at, now());
    ELSE
        NEW.mastered_at := coalesce(OLD.mastered_at, NEW.last_evidence_at, now()); -- still mastered: it stays when it was first reached
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER learner_skill_mastery_mastered_at BEFORE INSERT OR UPDATE ON hephaestus.learner_skill_mastery
    FOR EACH ROW EXECUTE FUNCTION hephaestus.stamp_mastered_at();

-- Time on task names a content step or a skill by the content versions a learner viewed (Data/Analytics/PerformanceStore.Time).
-- Row-level security shows learners and educators only some versions (published ones), but an event about a version they
-- no longer see still counts for its item: this door maps item ids to all their version ids, and nothing else (no body,
-- no metadata), for anyone signed in.
CREATE FUNCTION hephaestus.content_versions_of(items uuid[]) RETURNS TABLE (content_version_id uuid, content_item_id uuid)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT v.id, v.content_item_id FROM hephaestus.content_versions v WHERE v.content_item_id = ANY (items) AND hephaestus.is_signed_in() $$;
GRANT EXECUTE ON FUNCTION hephaestus.content_versions_of(uuid[]) TO hephaestus_app;
