-- Issue 12, part 3: an index for content effectiveness (Data/Analytics/ContentEffectivenessStore). Patterns over a path
-- start from ix_enrollments_path (0015), and those over a cohort from the cohort's members: they need nothing new.

-- Effectiveness finds each learner's first exposure to an item's versions (DISTINCT ON learner, by shown time): with the
-- learner and time in the index, a version's exposures are read in the order the statement needs, without a sort of
-- every exposure's heap row.
CREATE INDEX ix_content_exposures_version_learner ON hephaestus.content_exposures (content_version_id, learner_id, shown_at, id);
