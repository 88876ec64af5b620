-- Competency frameworks (trees of skills), the skill prerequisite DAG, mastery scales and rubrics.
-- These are catalog tables: small, shared by every learner, ready to become Citus reference tables.

CREATE TABLE hephaestus.mastery_scales (
    id          uuid PRIMARY KEY,
    -- Versions of one scale share a family id; a scale in use is never edited, a new version is made instead.
    family_id   uuid NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (family_id, version)
);

CREATE TABLE hephaestus.mastery_levels (
    scale_id    uuid NOT NULL REFERENCES hephaestus.mastery_scales (id) ON DELETE CASCADE,
    rank        smallint NOT NULL CHECK (rank >= 0),
    name        text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
    -- Lower bound on a 0..1 mastery value (or probability) for this level; points for point-scored scales.
    threshold   numeric(5, 4) NOT NULL CHECK (threshold BETWEEN 0 AND 1),
    points      numeric(8, 2),
    color       text CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    is_mastery  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (scale_id, rank),
    UNIQUE (scale_id, name)
);

-- At most one mastery level per scale, by index; at least one, and increasing thresholds, checked at commit below.
CREATE UNIQUE INDEX ux_mastery_levels_one_mastery ON hephaestus.mastery_levels (scale_id) WHERE is_mastery;

CREATE FUNCTION hephaestus.check_mastery_scale() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    scale uuid := coalesce(NEW.scale_id, OLD.scale_id);
    bad_rank smallint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM hephaestus.mastery_scales WHERE id = scale) THEN
        RETURN NULL; -- the scale itself was deleted
    END IF;
    IF (SELECT count(*) FILTER (WHERE is_mastery) FROM hephaestus.mastery_levels WHERE scale_id = scale) <> 1 THEN
        RAISE EXCEPTION 'mastery scale % must have exactly one mastery level', scale
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_mastery_scale_one_mastery_level';
    END IF;
    SELECT l.rank INTO bad_rank
    FROM (SELECT rank, threshold, lag(threshold) OVER (ORDER BY rank) AS previous
          FROM hephaestus.mastery_levels WHERE scale_id = scale) l
    WHERE l.threshold <= l.previous
    LIMIT 1;
    IF bad_rank IS NOT NULL THEN
        RAISE EXCEPTION 'mastery scale %: thresholds must increase with rank (rank %)', scale, bad_rank
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_mastery_scale_thresholds_increase';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER mastery_levels_valid_scale
    AFTER INSERT OR UPDATE OR DELETE ON hephaestus.mastery_levels
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION hephaestus.check_mastery_scale();

CREATE TABLE hephaestus.competency_frameworks (
    id                 uuid PRIMARY KEY,
    code               text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title              text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description        text,
    scale_id           uuid NOT NULL REFERENCES hephaestus.mastery_scales (id),
    -- How mastery is computed from evidence for the skills of this framework (a skill may override).
    mastery_method     text NOT NULL DEFAULT 'bkt'
        CHECK (mastery_method IN ('bkt', 'weighted_average', 'standard_decaying_average', 'n_mastery', 'highest', 'latest', 'average')),
    mastery_parameters jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(mastery_parameters) = 'object'),
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hephaestus.skills (
    id                 uuid PRIMARY KEY,
    framework_id       uuid NOT NULL REFERENCES hephaestus.competency_frameworks (id) ON DELETE CASCADE,
    parent_id          uuid,
    code               text NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title              text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description        text,
    attributes         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    position           integer NOT NULL DEFAULT 0,
    mastery_method     text
        CHECK (mastery_method IN ('bkt', 'weighted_average', 'standard_decaying_average', 'n_mastery', 'highest', 'latest', 'average')),
    mastery_parameters jsonb CHECK (jsonb_typeof(mastery_parameters) = 'object'),
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (framework_id, code),
    -- The target of the parent foreign key: a parent is always in the same framework.
    UNIQUE (framework_id, id),
    FOREIGN KEY (framework_id, parent_id) REFERENCES hephaestus.skills (framework_id, id) ON DELETE CASCADE,
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX ix_skills_parent ON hephaestus.skills (parent_id);
CREATE INDEX ix_skills_attributes ON hephaestus.skills USING gin (attributes jsonb_path_ops);

-- Moving a subtree is one UPDATE of its root's parent_id. It must not move a skill under its own descendant:
-- the framework row is locked so two concurrent moves cannot together make a loop.
CREATE FUNCTION hephaestus.check_skill_tree() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.parent_id IS NULL OR NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM hephaestus.competency_frameworks WHERE id = NEW.framework_id FOR UPDATE;
    IF EXISTS (
        WITH RECURSIVE up AS (
            SELECT s.id, s.parent_id FROM hephaestus.skills s WHERE s.id = NEW.parent_id
            UNION
            SELECT s.id, s.parent_id FROM hephaestus.skills s JOIN up ON s.id = up.parent_id
        )
        SELECT 1 FROM up WHERE up.id = NEW.id
    ) THEN
        RAISE EXCEPTION 'skill % cannot move under its own descendant %', NEW.id, NEW.parent_id
            USING ERRCODE = 'HE001', HINT = json_build_array(NEW.id, NEW.parent_id)::text;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER skills_tree_has_no_loop BEFORE INSERT OR UPDATE OF parent_id ON hephaestus.skills
    FOR EACH ROW EXECUTE FUNCTION hephaestus.check_skill_tree();

CREATE TABLE hephaestus.skill_prerequisites (
    skill_id        uuid NOT NULL REFERENCES hephaestus.skills (id) ON DELETE CASCADE,
    prerequisite_id uuid NOT NULL REFERENCES hephaestus.skills (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (skill_id, prerequisite_id),
    CHECK (skill_id <> prerequisite_id)
);
CREATE INDEX ix_skill_prerequisites_prerequisite ON hephaestus.skill_prerequisites (prerequisite_id);

-- The prerequisite graph spans the whole catalog and must stay acyclic. Every insert takes one transaction-level
-- advisory lock, so concurrent inserts are checked one after another, and each check (a fresh snapshot per statement
-- under READ COMMITTED) sees the edges committed before it. The error's HINT is the cycle as a JSON array of ids,
-- starting and ending at the new edge's skill (in HINT: Npgsql redacts DETAIL, which may hold data).
CREATE FUNCTION hephaestus.check_skill_prerequisite_acyclic() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    cycle uuid[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('hephaestus.skill_prerequisites'));
    -- Is skill_id reachable from prerequisite_id by following prerequisite edges? Then the new edge closes a cycle.
    WITH RECURSIVE walk (node, path) AS (
        SELECT NEW.prerequisite_id, ARRAY[NEW.skill_id, NEW.prerequisite_id]
        UNION ALL
        SELECT p.prerequisite_id, w.path || p.prerequisite_id
        FROM walk w
        JOIN hephaestus.skill_prerequisites p ON p.skill_id = w.node
        WHERE NOT p.prerequisite_id = ANY (w.path[2:])
    )
    SELECT path INTO cycle FROM walk WHERE node = NEW.skill_id ORDER BY cardinality(path) LIMIT 1;
    IF cycle IS NOT NULL THEN
        RAISE EXCEPTION 'prerequisite % -> % would close a cycle', NEW.skill_id, NEW.prerequisite_id
            USING ERRCODE = 'HE001', HINT = array_to_json(cycle)::text;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER skill_prerequisites_acyclic BEFORE INSERT OR UPDATE ON hephaestus.skill_prerequisites
    FOR EACH ROW EXECUTE FUNCTION hephaestus.check_skill_prerequisite_acyclic();

-- Rubrics for work scored by people (Canvas): criteria × ratings × points. Ratings are a JSON array of
-- {"description","points"} in strictly decreasing points; a criterion's mastery points equal one rating's points.
CREATE TABLE hephaestus.rubrics (
    id          uuid PRIMARY KEY,
    title       text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION hephaestus.rubric_ratings_valid(ratings jsonb, mastery_points numeric) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT jsonb_typeof(ratings) = 'array'
           AND jsonb_array_length(ratings) >= 1
           AND NOT EXISTS (
               SELECT 1
               FROM (SELECT (r ->> 'points')::numeric AS points,
                            lag((r ->> 'points')::numeric) OVER (ORDER BY ord) AS previous
                     FROM jsonb_array_elements(ratings) WITH ORDINALITY AS e (r, ord)) x
               WHERE x.points IS NULL OR x.points < 0 OR x.points >= x.previous)
           AND (mastery_points IS NULL OR EXISTS (
               SELECT 1 FROM jsonb_array_elements(ratings) r WHERE (r ->> 'points')::numeric = mastery_points))
    $$;

CREATE TABLE hephaestus.rubric_criteria (
    id              uuid PRIMARY KEY,
    rubric_id       uuid NOT NULL REFERENCES hephaestus.rubrics (id) ON DELETE CASCADE,
    position        smallint NOT NULL,
    description     text NOT NULL CHECK (char_length(description) BETWEEN 1 AND 500),
    long_description text,
    skill_id        uuid REFERENCES hephaestus.skills (id),
    ratings         jsonb NOT NULL,
    mastery_points  numeric(8, 2),
    UNIQUE (rubric_id, position),
    CONSTRAINT ck_rubric_criteria_ratings CHECK (hephaestus.rubric_ratings_valid(ratings, mastery_points)),
    -- A criterion aligned to a skill produces evidence, which needs a mastery threshold.
    CONSTRAINT ck_rubric_criteria_aligned_has_mastery CHECK (skill_id IS NULL OR mastery_points IS NOT NULL)
);
CREATE INDEX ix_rubric_criteria_skill ON hephaestus.rubric_criteria (skill_id) WHERE skill_id IS NOT NULL;

-- The catalog is readable by every signed-in actor and written by authors and admins.
CREATE FUNCTION hephaestus.is_signed_in() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.current_user_id() IS NOT NULL $$;

CREATE FUNCTION hephaestus.can_author() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT hephaestus.has_role('author') OR hephaestus.has_role('admin') $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['mastery_scales', 'mastery_levels', 'competency_frameworks', 'skills', 'skill_prerequisites',
                             'rubrics', 'rubric_criteria']
    LOOP
        EXECUTE format('ALTER TABLE hephaestus.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR SELECT USING (hephaestus.is_signed_in())', t || '_read', t);
        EXECUTE format('CREATE POLICY %I ON hephaestus.%I FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author())',
                       t || '_write', t);
    END LOOP;
END
$$;
