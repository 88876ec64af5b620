-- Identity invariants and row-level security for users and cohorts.

-- Emails are unique regardless of case; the address is kept as the user typed it.
CREATE UNIQUE INDEX ux_users_email_lower ON hephaestus.users (lower(email));

CREATE FUNCTION hephaestus.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER users_touch_updated_at BEFORE UPDATE ON hephaestus.users
    FOR EACH ROW EXECUTE FUNCTION hephaestus.touch_updated_at();

-- Only an admin changes roles or the identity-provider subject, whatever path the write takes.
-- current_user = the table owner (migrations, seeding, the token CLI) is trusted.
CREATE FUNCTION hephaestus.guard_user_privileged_columns() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF (NEW.roles IS DISTINCT FROM OLD.roles OR NEW.external_subject IS DISTINCT FROM OLD.external_subject)
       AND NOT hephaestus.has_role('admin')
       AND current_user <> (SELECT tableowner FROM pg_tables WHERE schemaname = 'hephaestus' AND tablename = 'users') THEN
        RAISE EXCEPTION 'only an admin may change roles or external_subject'
            USING ERRCODE = 'insufficient_privilege', COLUMN = 'roles';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_guard_privileged_columns BEFORE UPDATE ON hephaestus.users
    FOR EACH ROW EXECUTE FUNCTION hephaestus.guard_user_privileged_columns();

-- Membership checks run inside policies of the tables they read; SECURITY DEFINER lets them read cohort_members
-- without recursing into its own policy. search_path is pinned so the definer's rights cannot be hijacked.
CREATE FUNCTION hephaestus.is_cohort_member(cohort uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT EXISTS (SELECT 1 FROM cohort_members m
                       WHERE m.cohort_id = cohort AND m.user_id = current_user_id())
    $$;

CREATE FUNCTION hephaestus.is_cohort_educator(cohort uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT has_role('educator') AND EXISTS (
            SELECT 1 FROM cohort_members m
            WHERE m.cohort_id = cohort AND m.user_id = current_user_id() AND m.member_role = 'educator')
    $$;

-- Is the acting user an educator of a cohort this learner is in? SECURITY DEFINER so that it can read cohort_members
-- from inside policies; called only for actors with the educator role (see can_read_learner).
CREATE FUNCTION hephaestus.educates(learner uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT EXISTS (
            SELECT 1
            FROM cohort_members e
            JOIN cohort_members l ON l.cohort_id = e.cohort_id
            WHERE e.user_id = current_user_id() AND e.member_role = 'educator'
              AND l.user_id = learner AND l.member_role = 'learner')
    $$;

-- The read rule for every learner-owned row: the learner, an educator of one of the learner's cohorts, or an admin.
-- A plain SQL function, so the planner inlines it into each policy and the OR stops at the first true: learners and
-- admins never pay for the SECURITY DEFINER call (whose SET search_path costs about two thirds of a primary-key read,
-- measured with pgbench; see docs/benchmarks.md).
CREATE FUNCTION hephaestus.can_read_learner(learner uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT learner = hephaestus.current_user_id()
            OR hephaestus.has_role('admin')
            OR (hephaestus.has_role('educator') AND hephaestus.educates(learner))
    $$;

-- The write rule for learner-owned rows: the learner or an admin. Features that let educators write (overrides,
-- rubric scores) state that in their own policies.
CREATE FUNCTION hephaestus.can_write_learner(learner uuid) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT learner = hephaestus.current_user_id() OR hephaestus.has_role('admin') $$;

ALTER TABLE hephaestus.users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_select ON hephaestus.users FOR SELECT USING (hephaestus.can_read_learner(id));
CREATE POLICY users_insert ON hephaestus.users FOR INSERT WITH CHECK (hephaestus.has_role('admin'));
CREATE POLICY users_update ON hephaestus.users FOR UPDATE
    USING (hephaestus.can_write_learner(id)) WITH CHECK (hephaestus.can_write_learner(id));
CREATE POLICY users_delete ON hephaestus.users FOR DELETE USING (hephaestus.can_write_learner(id));

ALTER TABLE hephaestus.cohorts ENABLE ROW LEVEL SECURITY;
CREATE POLICY cohorts_select ON hephaestus.cohorts FOR SELECT
    USING (hephaestus.has_role('admin') OR hephaestus.is_cohort_member(id));
CREATE POLICY cohorts_write ON hephaestus.cohorts FOR ALL
    USING (hephaestus.has_role('admin')) WITH CHECK (hephaestus.has_role('admin'));

ALTER TABLE hephaestus.cohort_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY cohort_members_select ON hephaestus.cohort_members FOR SELECT
    USING (hephaestus.has_role('admin') OR user_id = hephaestus.current_user_id() OR hephaestus.is_cohort_educator(cohort_id));
CREATE POLICY cohort_members_write ON hephaestus.cohort_members FOR ALL
    USING (hephaestus.has_role('admin')) WITH CHECK (hephaestus.has_role('admin'));

-- EF Core's history table is created before this script runs; the service reads it to check the schema version.
GRANT SELECT ON hephaestus.__ef_migrations_history TO hephaestus_app;

-- Authentication maps a token's subject to a user before any actor is set, so it cannot go through the users policy.
-- This is the one narrow door: subject in, id and roles out.
CREATE FUNCTION hephaestus.resolve_actor(subject text) RETURNS TABLE (user_id uuid, roles text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$ SELECT u.id, u.roles FROM users u WHERE u.external_subject = subject $$;
