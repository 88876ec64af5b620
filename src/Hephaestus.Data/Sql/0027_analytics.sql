-- Analytics (issue 12): analysts read every learner's rows, but only inside an analytics operation.
--
-- Analysts and admins see everything in analytics; educators their cohorts; learners themselves. Admins, educators and
-- learners already read what they may through can_read_learner. An analyst reads no learner row anywhere else (the
-- learner-facing endpoints stay closed to them): the permissive policies below open SELECT to the analyst role only
-- in a transaction marked hephaestus.operation = 'analytics', which Data/Analytics/AnalyticsSource sets with the
-- actor in the same statement (and makes READ ONLY). The mark is transaction-local like the actor, so it behaves the
-- same on a streaming replica: policies and settings are evaluated by whichever server runs the query.
-- Threat model as in 0009: this stops a stray statement in another code path, not someone who runs arbitrary SQL.

CREATE FUNCTION hephaestus.in_analytics() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT current_setting('hephaestus.operation', true) = 'analytics' $$;

-- Inlined into each policy: an analyst inside an analytics operation.
CREATE FUNCTION hephaestus.analyses_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.has_role('analyst') AND hephaestus.in_analytics() $$;

GRANT EXECUTE ON FUNCTION hephaestus.in_analytics(), hephaestus.analyses_all() TO hephaestus_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'cohorts', 'cohort_members', 'learner_skill_mastery', 'enrollments', 'enrollment_overrides',
                             'attempts', 'attempt_responses', 'results', 'rubric_assessments', 'evidence', 'content_exposures']
    LOOP
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR SELECT USING (hephaestus.analyses_all())', t || '_analytics_read', t);
    END LOOP;
END
$$;
