-- What erasing a user does to other people's records about them, and how a user's export reaches what they wrote.
--
-- The rule: a record about a learner that another person made (a rubric assessment they gave, an override of the
-- learner's path they made, an item version they wrote) is part of the learner's record or of the catalog and stays;
-- the erased person's id in it becomes NULL, which means "a user who has since been erased". No id is left behind
-- that once named them, and nothing dangles: a foreign key with ON DELETE SET NULL holds it for every way a user row
-- can go (the erase endpoint, a DBA's DELETE).
--
-- Why a foreign key and not a function that erasure calls: results, evidence, rubric assessments and overrides are
-- append-only for the application role (no UPDATE or DELETE). A referential action runs as the owner of the referencing
-- table, so ON DELETE SET NULL (like the ON DELETE CASCADE that already removes the erased learner's own rows) changes
-- exactly that one column in exactly the rows that name the erased user, and the application role still cannot change
-- these rows for any other reason. A SECURITY DEFINER "anonymise" function would be a second door into those tables.

-- Rubric assessments: every assessor is a signed-in user, so NULL can only mean the assessor was erased.
ALTER TABLE hephaestus.rubric_assessments ALTER COLUMN assessor_id DROP NOT NULL;
-- Assessors erased before this migration left ids that name no one: they are erased assessors too.
UPDATE hephaestus.rubric_assessments r SET assessor_id = NULL
WHERE NOT EXISTS (SELECT 1 FROM hephaestus.users u WHERE u.id = r.assessor_id);
-- The erasure's SET NULL and an assessor's own export look rows up by assessor.
CREATE INDEX ix_rubric_assessments_assessor ON hephaestus.rubric_assessments (assessor_id) WHERE assessor_id IS NOT NULL;
ALTER TABLE hephaestus.rubric_assessments ADD CONSTRAINT fk_rubric_assessments_assessor
    FOREIGN KEY (assessor_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
COMMENT ON COLUMN hephaestus.rubric_assessments.assessor_id IS 'Who rated; NULL: a user since erased (the rating stays the learner''s record).';

-- Overrides: an override made at the command line (the operator, no signed-in person) was written with the nil id.
-- It names no user either, so it becomes NULL too, and actor_erased tells the two NULLs apart: false, the operator;
-- true, a user since erased.
ALTER TABLE hephaestus.enrollment_overrides ALTER COLUMN actor_id DROP NOT NULL,
    ADD COLUMN actor_erased boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT ck_enrollment_overrides_erased_actor_unnamed CHECK (NOT actor_erased OR actor_id IS NULL);
UPDATE hephaestus.enrollment_overrides SET actor_id = NULL WHERE actor_id = '00000000-0000-0000-0000-000000000000';
UPDATE hephaestus.enrollment_overrides o SET actor_id = NULL, actor_erased = true
WHERE o.actor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hephaestus.users u WHERE u.id = o.actor_id);
CREATE INDEX ix_enrollment_overrides_actor ON hephaestus.enrollment_overrides (actor_id) WHERE actor_id IS NOT NULL;
ALTER TABLE hephaestus.enrollment_overrides ADD CONSTRAINT fk_enrollment_overrides_actor
    FOREIGN KEY (actor_id) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
COMMENT ON COLUMN hephaestus.enrollment_overrides.actor_id IS 'Who overrode; NULL: the operator at the command line, or a user since erased (actor_erased).';

-- The SET NULL of an erasure is the only way actor_id goes from a user to NULL (the application may not update this
-- table), so it is where the row learns that its actor was erased.
CREATE FUNCTION hephaestus.mark_override_actor_erased() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.actor_erased := true;
    RETURN NEW;
END
$$;
CREATE TRIGGER enrollment_overrides_actor_erased BEFORE UPDATE OF actor_id ON hephaestus.enrollment_overrides
    FOR EACH ROW WHEN (OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL)
    EXECUTE FUNCTION hephaestus.mark_override_actor_erased();

-- Item versions: created_by was already nullable (rows loaded outside the API have no author).
UPDATE hephaestus.item_versions v SET created_by = NULL
WHERE v.created_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM hephaestus.users u WHERE u.id = v.created_by);
CREATE INDEX ix_item_versions_created_by ON hephaestus.item_versions (created_by) WHERE created_by IS NOT NULL;
ALTER TABLE hephaestus.item_versions ADD CONSTRAINT fk_item_versions_created_by
    FOREIGN KEY (created_by) REFERENCES hephaestus.users (id) ON DELETE SET NULL;
COMMENT ON COLUMN hephaestus.item_versions.created_by IS 'Who wrote this version; NULL: loaded outside the API, or a user since erased.';

-- A user's export lists what they wrote about others. Row-level security shows an educator only the learners of their
-- cohorts today, but an export must include the ratings and overrides they gave learners they no longer teach (and an
-- item version they wrote stays theirs if they lose the author role). These doors return only the rows that name the
-- acting user (or any user's rows to an admin), so they reveal nothing the user did not write.
CREATE FUNCTION hephaestus.rubric_assessments_by(assessor uuid) RETURNS SETOF hephaestus.rubric_assessments
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT * FROM rubric_assessments
        WHERE assessor_id = assessor AND (assessor = current_user_id() OR has_role('admin'))
    $$;

CREATE FUNCTION hephaestus.enrollment_overrides_by(actor uuid) RETURNS SETOF hephaestus.enrollment_overrides
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT * FROM enrollment_overrides
        WHERE actor_id = actor AND (actor = current_user_id() OR has_role('admin'))
    $$;

CREATE FUNCTION hephaestus.item_versions_by(author uuid) RETURNS SETOF hephaestus.item_versions
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        SELECT * FROM item_versions
        WHERE created_by = author AND (author = current_user_id() OR has_role('admin'))
    $$;

REVOKE EXECUTE ON FUNCTION hephaestus.rubric_assessments_by(uuid), hephaestus.enrollment_overrides_by(uuid),
    hephaestus.item_versions_by(uuid), hephaestus.mark_override_actor_erased() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hephaestus.rubric_assessments_by(uuid), hephaestus.enrollment_overrides_by(uuid),
    hephaestus.item_versions_by(uuid) TO hephaestus_app;
