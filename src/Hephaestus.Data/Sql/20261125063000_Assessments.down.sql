-- Reverts 20261125063000_Assessments.

DROP TABLE hephaestus.evidence, hephaestus.rubric_assessments, hephaestus.idempotency_keys, hephaestus.results,
    hephaestus.attempt_responses, hephaestus.attempts, hephaestus.assessment_parts, hephaestus.assessments,
    hephaestus.item_version_skills, hephaestus.item_versions, hephaestus.items;
