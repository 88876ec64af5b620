-- Item analysis (issue 12): the counted attempts of every learner on every assessment, and running sums over them so
-- that Moodle's moment statistics (facility, SD, discrimination index, effective weight, Cronbach's alpha, skewness,
-- kurtosis, ...) are live without a scan. docs/architecture.md, "Analytics: item analysis".

-- Which attempts count -----------------------------------------------------------------------------------------------

-- The attempts item analysis counts for each learner, with their current result (latest revision): the assessment's
-- attempt policy read as Moodle's "attempts to analyse" (highest: the best-scored attempt, the earliest of equals;
-- latest: the last; first: the first; average: every attempt, as Moodle analyses all attempts for an averaged grade).
-- The same rule as Domain's AttemptPolicies.Counted (a test holds them together). A NULL learner or assessment means
-- all of them (the backfill, the naive query of the bench). Inlined by the planner, so a learner's call reads only
-- that learner's attempts.
CREATE FUNCTION hephaestus.item_analysis_counted(p_learner uuid, p_assessment uuid)
    RETURNS TABLE (learner_id uuid, assessment_id uuid, attempt_id uuid, result_id uuid, total numeric, max_total numeric,
                   item_version_ids uuid[], marks numeric[])
    LANGUAGE sql STABLE
    AS $$
        SELECT c.learner_id, c.assessment_id, c.attempt_id, c.result_id, c.points, c.max_points,
               ARRAY(SELECT (e ->> 'itemVersionId')::uuid FROM jsonb_array_elements(c.item_scores) WITH ORDINALITY AS s (e, i) ORDER BY s.i),
               ARRAY(SELECT (e ->> 'points')::numeric FROM jsonb_array_elements(c.item_scores) WITH ORDINALITY AS s (e, i) ORDER BY s.i)
        FROM (
            SELECT a.learner_id, a.assessment_id, a.id AS attempt_id, s.attempt_policy, r.id AS result_id, r.points, r.max_points, r.item_scores,
                   row_number() OVER (PARTITION BY a.learner_id, a.assessment_id ORDER BY r.score DESC, a.number) AS best,
                   row_number() OVER (PARTITION BY a.learner_id, a.assessment_id ORDER BY a.number DESC) AS last,
                   row_number() OVER (PARTITION BY a.learner_id, a.assessment_id ORDER BY a.number) AS first
            FROM hephaestus.attempts a
            JOIN hephaestus.assessments s ON s.id = a.assessment_id
            CROSS JOIN LATERAL (
                SELECT r.id, r.score, r.points, r.max_points, r.item_scores FROM hephaestus.results r
                WHERE r.learner_id = a.learner_id AND r.attempt_id = a.id
                ORDER BY r.revision DESC LIMIT 1) r
            WHERE (p_learner IS NULL OR a.learner_id = p_learner) AND (p_assessment IS NULL OR a.assessment_id = p_assessment)
        ) c
        WHERE CASE c.attempt_policy WHEN 'highest' THEN c.best = 1 WHEN 'latest' THEN c.last = 1 WHEN 'first' THEN c.first = 1 ELSE true END
    $$;

-- Per-learner contributions: learner state -----------------------------------------------------------------------------

-- One row per counted attempt (its current result), replaced by the learner record when a submission or a regrade
-- changes which attempt counts or its marks. Marks are by position in the attempt (a slot, as Moodle's), with the item
-- version drawn there. Keyed by result, not attempt: a regrade's replacement (old result out, new in) is one statement.
CREATE TABLE hephaestus.item_analysis_attempts (
    learner_id       uuid NOT NULL REFERENCES hephaestus.users (id) ON DELETE CASCADE,
    assessment_id    uuid NOT NULL REFERENCES hephaestus.assessments (id),
    result_id        uuid NOT NULL,
    attempt_id       uuid NOT NULL,
    total            numeric(10, 2) NOT NULL,
    max_total        numeric(10, 2) NOT NULL CHECK (max_total > 0),
    item_version_ids uuid[] NOT NULL,
    marks            numeric(10, 2)[] NOT NULL,
    PRIMARY KEY (learner_id, assessment_id, result_id),
    FOREIGN KEY (learner_id, attempt_id) REFERENCES hephaestus.attempts (learner_id, id) ON DELETE CASCADE,
    FOREIGN KEY (learner_id, result_id) REFERENCES hephaestus.results (learner_id, id) ON DELETE CASCADE,
    CONSTRAINT ck_item_analysis_attempts_marks CHECK (cardinality(marks) = cardinality(item_version_ids))
);
-- The on-demand part (median, discriminative efficiency, a cohort's figures) reads one assessment's rows.
CREATE INDEX ix_item_analysis_attempts_assessment ON hephaestus.item_analysis_attempts (assessment_id);

ALTER TABLE hephaestus.item_analysis_attempts ENABLE ROW LEVEL SECURITY;
-- Analysts read every learner's marks here, as every learner row, only inside an analytics read (the mark that
-- Data/Analytics/AnalyticsSource sets; 0027_analytics.sql names the same test analyses_all(), written out here because
-- this file runs first); others the learners they may read.
CREATE POLICY item_analysis_attempts_read ON hephaestus.item_analysis_attempts FOR SELECT
    USING (hephaestus.can_read_learner(learner_id)
           OR (hephaestus.has_role('analyst') AND current_setting('hephaestus.operation', true) = 'analytics'));
CREATE POLICY item_analysis_attempts_insert ON hephaestus.item_analysis_attempts FOR INSERT
    WITH CHECK (hephaestus.can_write_learner(learner_id) OR hephaestus.can_teach_learner(learner_id));
CREATE POLICY item_analysis_attempts_delete ON hephaestus.item_analysis_attempts FOR DELETE
    USING (hephaestus.can_write_learner(learner_id) OR hephaestus.can_teach_learner(learner_id));
-- Written only by the learner record's operation (0009_defence_in_depth.sql), deletions included.
CREATE POLICY item_analysis_attempts_insert_by_owner ON hephaestus.item_analysis_attempts AS RESTRICTIVE FOR INSERT
    WITH CHECK (hephaestus.in_learner_record());
CREATE POLICY item_analysis_attempts_delete_by_owner ON hephaestus.item_analysis_attempts AS RESTRICTIVE FOR DELETE
    USING (hephaestus.in_learner_record());
REVOKE UPDATE ON hephaestus.item_analysis_attempts FROM hephaestus_app;

-- Running sums, striped ------------------------------------------------------------------------------------------------

-- Sums over the counted attempts, kept by a trigger on the contributions, in 16 stripes per assessment (by the
-- learner's id): a submission updates its learner's stripe only, so concurrent submissions of one assessment queue on
-- 16 rows, not one. Reading sums the stripes. numeric, so adding and taking away a contribution is exact (no drift).
-- Per slot and item version: n, Σx, Σx², Σx·T, ΣT, ΣT² (x the item's mark, T the attempt's total).
CREATE TABLE hephaestus.item_analysis_item_sums (
    assessment_id   uuid NOT NULL REFERENCES hephaestus.assessments (id) ON DELETE CASCADE,
    slot            integer NOT NULL,
    item_version_id uuid NOT NULL REFERENCES hephaestus.item_versions (id),
    stripe          smallint NOT NULL,
    n               bigint NOT NULL,
    sum_x           numeric NOT NULL,
    sum_xx          numeric NOT NULL,
    sum_xt          numeric NOT NULL,
    sum_t           numeric NOT NULL,
    sum_tt          numeric NOT NULL,
    PRIMARY KEY (assessment_id, slot, item_version_id, stripe)
);

-- Per assessment: n, ΣT, ΣT², ΣT³, ΣT⁴ and the sum of the attempts' maximum totals.
CREATE TABLE hephaestus.item_analysis_test_sums (
    assessment_id uuid NOT NULL REFERENCES hephaestus.assessments (id) ON DELETE CASCADE,
    stripe        smallint NOT NULL,
    n             bigint NOT NULL,
    sum_t         numeric NOT NULL,
    sum_t2        numeric NOT NULL,
    sum_t3        numeric NOT NULL,
    sum_t4        numeric NOT NULL,
    sum_max       numeric NOT NULL,
    PRIMARY KEY (assessment_id, stripe)
);

-- Sums over everyone: admins, and analysts inside an analytics read; only the trigger writes them.
ALTER TABLE hephaestus.item_analysis_item_sums ENABLE ROW LEVEL SECURITY;
ALTER TABLE hephaestus.item_analysis_test_sums ENABLE ROW LEVEL SECURITY;
CREATE FUNCTION hephaestus.item_analysis_reads_all() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.has_role('admin')
                 OR (hephaestus.has_role('analyst') AND current_setting('hephaestus.operation', true) = 'analytics') $$;
CREATE POLICY item_analysis_item_sums_read ON hephaestus.item_analysis_item_sums FOR SELECT USING (hephaestus.item_analysis_reads_all());
CREATE POLICY item_analysis_test_sums_read ON hephaestus.item_analysis_test_sums FOR SELECT USING (hephaestus.item_analysis_reads_all());
REVOKE INSERT, UPDATE, DELETE ON hephaestus.item_analysis_item_sums, hephaestus.item_analysis_test_sums FROM hephaestus_app;

-- Adds (INSERT) or takes away (DELETE) the changed contributions. The stripe's test row is locked first, so two
-- submissions of one stripe take their item rows one after the other (never crosswise: no deadlock), whatever items
-- their attempts drew.
CREATE FUNCTION hephaestus.item_analysis_apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
    DECLARE
        sign integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
    BEGIN
        INSERT INTO item_analysis_test_sums AS s (assessment_id, stripe, n, sum_t, sum_t2, sum_t3, sum_t4, sum_max)
        SELECT c.assessment_id, get_byte(uuid_send(c.learner_id), 15) % 16, sign * count(*), sign * sum(c.total),
               sign * sum(c.total ^ 2), sign * sum(c.total ^ 3), sign * sum(c.total ^ 4), sign * sum(c.max_total)
        FROM changed c
        GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (assessment_id, stripe) DO UPDATE SET
            n = s.n + excluded.n, sum_t = s.sum_t + excluded.sum_t, sum_t2 = s.sum_t2 + excluded.sum_t2,
            sum_t3 = s.sum_t3 + excluded.sum_t3, sum_t4 = s.sum_t4 + excluded.sum_t4, sum_max = s.sum_max + excluded.sum_max;

        INSERT INTO item_analysis_item_sums AS s (assessment_id, slot, item_version_id, stripe, n, sum_x, sum_xx, sum_xt, sum_t, sum_tt)
        SELECT c.assessment_id, m.slot - 1, m.item_version_id, get_byte(uuid_send(c.learner_id), 15) % 16,
               sign * count(*), sign * sum(m.mark), sign * sum(m.mark * m.mark), sign * sum(m.mark * c.total),
               sign * sum(c.total), sign * sum(c.total * c.total)
        FROM changed c CROSS JOIN LATERAL unnest(c.item_version_ids, c.marks) WITH ORDINALITY AS m (item_version_id, mark, slot)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (assessment_id, slot, item_version_id, stripe) DO UPDATE SET
            n = s.n + excluded.n, sum_x = s.sum_x + excluded.sum_x, sum_xx = s.sum_xx + excluded.sum_xx,
            sum_xt = s.sum_xt + excluded.sum_xt, sum_t = s.sum_t + excluded.sum_t, sum_tt = s.sum_tt + excluded.sum_tt;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER item_analysis_attempts_added AFTER INSERT ON hephaestus.item_analysis_attempts
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hephaestus.item_analysis_apply();
CREATE TRIGGER item_analysis_attempts_removed AFTER DELETE ON hephaestus.item_analysis_attempts
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION hephaestus.item_analysis_apply();
REVOKE EXECUTE ON FUNCTION hephaestus.item_analysis_apply() FROM hephaestus_app;

-- Another attempt policy counts other attempts: the assessment's contributions are computed again, in the transaction
-- that changes it (an author's edit; the rows are learners', hence the definer's rights).
CREATE FUNCTION hephaestus.item_analysis_policy_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
    BEGIN
        DELETE FROM item_analysis_attempts WHERE assessment_id = NEW.id;
        INSERT INTO item_analysis_attempts (learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks)
        SELECT c.learner_id, c.assessment_id, c.result_id, c.attempt_id, c.total, c.max_total, c.item_version_ids, c.marks
        FROM item_analysis_counted(NULL, NEW.id) c;
        RETURN NULL;
    END
    $$;
CREATE TRIGGER assessments_item_analysis_policy AFTER UPDATE OF attempt_policy ON hephaestus.assessments
    FOR EACH ROW WHEN (OLD.attempt_policy IS DISTINCT FROM NEW.attempt_policy)
    EXECUTE FUNCTION hephaestus.item_analysis_policy_changed();
REVOKE EXECUTE ON FUNCTION hephaestus.item_analysis_policy_changed() FROM hephaestus_app;

-- Narrow doors for analysts ------------------------------------------------------------------------------------------

-- A cohort's learners for a cohort-filtered analysis: for admins and analysts (inside an analytics read), and for the cohort's educators; NULL
-- when there is no such cohort or the actor may not analyse it (analysts do not read cohort rosters otherwise).
CREATE FUNCTION hephaestus.item_analysis_cohort(p_cohort uuid) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT coalesce((SELECT array_agg(m.user_id ORDER BY m.user_id) FROM cohort_members m
                         WHERE m.cohort_id = c.id AND m.member_role = 'learner'), '{}')
        FROM cohorts c
        WHERE c.id = p_cohort AND (item_analysis_reads_all() OR is_cohort_educator(p_cohort))
    $$;

-- The shape Moodle's random guess score needs, without the key: each version's type and number of options.
CREATE FUNCTION hephaestus.item_guess_shapes(ids uuid[])
    RETURNS TABLE (id uuid, type text, options integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT v.id, v.type, CASE WHEN jsonb_typeof(v.definition -> 'options') = 'array' THEN jsonb_array_length(v.definition -> 'options') END
        FROM item_versions v
        WHERE v.id = ANY (ids) AND is_signed_in()
    $$;

-- The most common wrong responses to an item version among counted attempts, normalized by type (a choice's option
-- id; a set of options, sorted; a number; text trimmed, lower-cased, spaces collapsed; an order), as counts only: no
-- learner is named. Admins, and analysts inside an analytics read, see everyone; with a cohort, its educators (and analysts, admins) see its
-- learners. Returns nothing for anyone else. A response counts as wrong when the counted result marked it not correct;
-- an item left unanswered is counted as "(no response)" (a NULL response).
CREATE FUNCTION hephaestus.item_wrong_responses(p_assessment uuid, p_item_version uuid, p_cohort uuid, p_limit integer)
    RETURNS TABLE (response text, count bigint, answered bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        WITH counted AS (
            -- The response was saved under the version drawn at that position (a regrade scores it with a newer one).
            SELECT c.learner_id, c.attempt_id, t.item_version_ids[s.i] AS drawn, t.deadline_at,
                   (r.item_scores -> (s.i::int - 1) ->> 'correct')::boolean AS correct, v.type
            FROM item_analysis_attempts c
            JOIN results r ON r.learner_id = c.learner_id AND r.id = c.result_id
            JOIN attempts t ON t.learner_id = c.learner_id AND t.id = c.attempt_id
            CROSS JOIN LATERAL unnest(c.item_version_ids) WITH ORDINALITY AS s (item_version_id, i)
            JOIN item_versions v ON v.id = s.item_version_id
            WHERE c.assessment_id = p_assessment AND s.item_version_id = p_item_version
              AND (CASE WHEN p_cohort IS NULL THEN item_analysis_reads_all()
                        ELSE (item_analysis_reads_all() OR is_cohort_educator(p_cohort))
                             AND EXISTS (SELECT FROM cohort_members m
                                         WHERE m.cohort_id = p_cohort AND m.user_id = c.learner_id AND m.member_role = 'learner') END)
        ), wrong AS (
            SELECT CASE k.type
                       WHEN 'single_choice' THEN a.response ->> 'optionId'
                       WHEN 'multiple_choice' THEN (SELECT string_agg(o, ',' ORDER BY o) FROM jsonb_array_elements_text(a.response -> 'optionIds') o)
                       WHEN 'numeric' THEN (a.response ->> 'value')::numeric::text
                       WHEN 'short_text' THEN lower(regexp_replace(btrim(a.response ->> 'text'), '\s+', ' ', 'g'))
                       WHEN 'ordering' THEN (SELECT string_agg(o, ',' ORDER BY n) FROM jsonb_array_elements_text(a.response -> 'order') WITH ORDINALITY AS x (o, n))
                   END AS response
            FROM counted k
            LEFT JOIN attempt_responses a ON a.learner_id = k.learner_id AND a.attempt_id = k.attempt_id AND a.item_version_id = k.drawn
                  AND (k.deadline_at IS NULL OR a.saved_at <= k.deadline_at)
            WHERE NOT k.correct
        )
        SELECT w.response, count(*), (SELECT count(*) FROM counted)
        FROM wrong w
        GROUP BY w.response
        ORDER BY count(*) DESC, w.response NULLS LAST
        LIMIT p_limit
    $$;

-- Backfill ------------------------------------------------------------------------------------------------------------

INSERT INTO hephaestus.item_analysis_attempts (learner_id, assessment_id, result_id, attempt_id, total, max_total, item_version_ids, marks)
SELECT c.learner_id, c.assessment_id, c.result_id, c.attempt_id, c.total, c.max_total, c.item_version_ids, c.marks
FROM hephaestus.item_analysis_counted(NULL, NULL) c;
