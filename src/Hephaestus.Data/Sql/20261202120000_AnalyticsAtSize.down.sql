-- The policies as 0002, 0004, 0007, 0020, 0023, 0026 and 0027 wrote them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'cohorts', 'cohort_members', 'learner_skill_mastery', 'enrollments', 'enrollment_overrides',
                             'attempts', 'attempt_responses', 'results', 'rubric_assessments', 'evidence', 'content_exposures']
    LOOP
        EXECUTE format('ALTER POLICY %I ON hephaestus.%I USING (hephaestus.analyses_all())', t || '_analytics_read', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['learner_skill_mastery', 'enrollments', 'enrollment_overrides', 'attempts', 'attempt_responses', 'results',
                             'rubric_assessments', 'evidence', 'content_exposures']
    LOOP
        EXECUTE format('ALTER POLICY %I ON hephaestus.%I USING (hephaestus.can_read_learner(learner_id))', t || '_read', t);
    END LOOP;
END
$$;

ALTER POLICY users_select ON hephaestus.users USING (hephaestus.can_read_learner(id));
ALTER POLICY cohorts_select ON hephaestus.cohorts USING (hephaestus.has_role('admin') OR hephaestus.is_cohort_member(id));
ALTER POLICY cohorts_write ON hephaestus.cohorts USING (hephaestus.has_role('admin'));
ALTER POLICY cohort_members_select ON hephaestus.cohort_members
    USING (hephaestus.has_role('admin') OR user_id = hephaestus.current_user_id() OR hephaestus.is_cohort_educator(cohort_id));
ALTER POLICY cohort_members_write ON hephaestus.cohort_members USING (hephaestus.has_role('admin'));

ALTER POLICY learning_events_read ON hephaestus.learning_events
    USING (hephaestus.can_read_learner(learner_id) OR hephaestus.has_role('analyst'));
ALTER POLICY item_analysis_attempts_read ON hephaestus.item_analysis_attempts
    USING (hephaestus.can_read_learner(learner_id)
           OR (hephaestus.has_role('analyst') AND current_setting('hephaestus.operation', true) = 'analytics'));
