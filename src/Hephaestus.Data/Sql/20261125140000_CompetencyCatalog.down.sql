-- Reverts 20261125140000_CompetencyCatalog. Removing the default scale fails while a framework still uses it, which is
-- the point: going down must not leave frameworks without a scale.

DROP TRIGGER mastery_levels_frozen_in_use ON hephaestus.mastery_levels;
DELETE FROM hephaestus.mastery_scales WHERE id = '00000000-0000-7000-8000-000000000001';
DROP INDEX hephaestus.ix_learner_skill_mastery_skill;
DROP FUNCTION hephaestus.guard_mastery_levels_in_use(), hephaestus.mastery_scale_in_use(uuid),
    hephaestus.reclassify_framework_mastery(uuid), hephaestus.skill_subtree_references(uuid);
