-- Reverts 20261125051500_CompetenciesAndPaths.

DROP VIEW hephaestus.enrollment_step_states;
DROP TABLE hephaestus.enrollment_overrides, hephaestus.enrollments,
    hephaestus.learner_skill_mastery, hephaestus.path_step_prerequisites, hephaestus.path_steps,
    hephaestus.path_versions, hephaestus.learning_paths, hephaestus.rubric_criteria, hephaestus.rubrics,
    hephaestus.skill_prerequisites, hephaestus.skills, hephaestus.competency_frameworks,
    hephaestus.mastery_levels, hephaestus.mastery_scales;
DROP FUNCTION hephaestus.check_enrollment_version(), hephaestus.can_teach_learner(uuid), hephaestus.guard_frozen_path_version(),
    hephaestus.check_step_prerequisite_acyclic(), hephaestus.can_author(), hephaestus.is_signed_in(),
    hephaestus.rubric_ratings_valid(jsonb, numeric), hephaestus.check_skill_prerequisite_acyclic(),
    hephaestus.check_skill_tree(), hephaestus.check_mastery_scale();
