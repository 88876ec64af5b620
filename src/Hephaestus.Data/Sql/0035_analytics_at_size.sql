-- Analytics at size (issue 12): an analyst's row-level security costs once per statement, not once per row.
--
-- At 100,000 learners the mastery rollup over a whole path version ran past the 10 s statement timeout, and its plan
-- spent most of the time in the policies. A policy's STABLE functions are evaluated for every row they guard (2 million
-- mastery rows, 100,000 enrollments, a million events), each evaluation reading hephaestus.roles and parsing it into
-- text[] again, several times per row (learner = current_user_id(), has_role('admin'), has_role('educator'), and only
-- then the analyst's test, since PostgreSQL ORs permissive policies in an order of its own: "<table>_read" came first).
-- Written as a scalar subquery, (SELECT hephaestus.analyses_all()) is one InitPlan: evaluated once per statement, its
-- result then read for each row. So every permissive policy that guards a SELECT on the tables analytics read starts
-- with that InitPlan: whichever policy PostgreSQL evaluates first, an analyst's OR stops at its true, and for everyone
-- else it adds one false per statement. The admin tests of the cohort tables' policies become InitPlans too. Who may read
-- what is unchanged: each policy is ORed with the analyst's own policy already.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'cohorts', 'cohort_members', 'learner_skill_mastery', 'enrollments', 'enrollment_overrides',
                             'attempts', 'attempt_responses', 'results', 'rubric_assessments', 'evidence', 'content_exposures']
    LOOP
        EXECUTE format('ALTER POLICY %I ON hephaestus.%I USING ((SELECT hephaestus.analyses_all()))', t || '_analytics_read', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['learner_skill_mastery', 'enrollments', 'enrollment_overrides', 'attempts', 'attempt_responses', 'results',
                             'rubric_assessments', 'evidence', 'content_exposures']
    LOOP
        EXECUTE format('ALTER POLICY %I ON hephaestus.%I USING ((SELECT hephaestus.analyses_all()) OR hephaestus.can_read_learner(learner_id))',
                       t || '_read', t);
    END LOOP;
END
$$;

ALTER POLICY users_select ON hephaestus.users USING ((SELECT hephaestus.analyses_all()) OR hephaestus.can_read_learner(id));
ALTER POLICY cohorts_select ON hephaestus.cohorts
    USING ((SELECT hephaestus.analyses_all()) OR (SELECT hephaestus.has_role('admin')) OR hephaestus.is_cohort_member(id));
ALTER POLICY cohorts_write ON hephaestus.cohorts USING ((SELECT hephaestus.has_role('admin')));
ALTER POLICY cohort_members_select ON hephaestus.cohort_members
    USING ((SELECT hephaestus.analyses_all()) OR (SELECT hephaestus.has_role('admin')) OR user_id = hephaestus.current_user_id()
           OR hephaestus.is_cohort_educator(cohort_id));
ALTER POLICY cohort_members_write ON hephaestus.cohort_members USING ((SELECT hephaestus.has_role('admin')));

-- Events are readable by analysts anywhere (0023); contributions only inside an analytics read (0026).
ALTER POLICY learning_events_read ON hephaestus.learning_events
    USING ((SELECT hephaestus.has_role('analyst')) OR hephaestus.can_read_learner(learner_id));
ALTER POLICY item_analysis_attempts_read ON hephaestus.item_analysis_attempts
    USING ((SELECT hephaestus.analyses_all()) OR hephaestus.can_read_learner(learner_id));
