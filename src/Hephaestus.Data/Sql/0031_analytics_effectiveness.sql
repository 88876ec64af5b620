-- Issue 12, parts 3 and 4: indexes for content effectiveness and learning patterns (Data/Analytics/ContentEffectivenessStore,
-- PatternStore).

-- Effectiveness finds each learner's first exposure to an item's versions (DISTINCT ON learner, by shown time): with the
-- learner and time in the index, a version's exposures are read in the order the statement needs, without a sort of
-- every exposure's heap row.
CREATE INDEX ix_content_exposures_version_learner ON hephaestus.content_exposures (content_version_id, learner_id, shown_at, id);

-- Patterns over a path start from its enrollments; the unique (learner_id, path_id) leads with the learner, so a path's
-- learners had no index of their own.
CREATE INDEX ix_enrollments_path ON hephaestus.enrollments (path_id, learner_id);
