DROP FUNCTION hephaestus.content_versions_of(uuid[]);
DROP TRIGGER learner_skill_mastery_mastered_at ON hephaestus.learner_skill_mastery;
DROP FUNCTION hephaestus.stamp_mastered_at();
ALTER TABLE hephaestus.learner_skill_mastery DROP CONSTRAINT ck_learner_skill_mastery_mastered_at;
ALTER TABLE hephaestus.learner_skill_mastery DROP COLUMN mastered_at;
