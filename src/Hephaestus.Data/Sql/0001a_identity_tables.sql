-- The identity tables, exactly as the EF Core model of the Identity migration created them (the model and EF Core are
-- gone: this file is now their definition). It runs after 0001_roles_and_actor.sql, whose default privileges grant
-- these tables to the application role, and before 0002_identity_security.sql, which secures them.
-- The optimistic-concurrency token of users and cohorts is PostgreSQL's system column xmin: nothing to create.

CREATE TABLE hephaestus.cohorts (
    id uuid NOT NULL,
    name text NOT NULL,
    description text,
    created_at timestamp with time zone NOT NULL DEFAULT (now()),
    CONSTRAINT pk_cohorts PRIMARY KEY (id),
    CONSTRAINT ck_cohorts_name_length CHECK (char_length(name) BETWEEN 1 AND 200)
);

CREATE TABLE hephaestus.users (
    id uuid NOT NULL,
    external_subject text NOT NULL,
    email text NOT NULL,
    display_name text NOT NULL,
    locale text NOT NULL DEFAULT 'en',
    time_zone text NOT NULL DEFAULT 'UTC',
    roles text[] NOT NULL DEFAULT (ARRAY['learner']::text[]),
    profile jsonb NOT NULL DEFAULT ('{}'::jsonb),
    created_at timestamp with time zone NOT NULL DEFAULT (now()),
    updated_at timestamp with time zone NOT NULL DEFAULT (now()),
    CONSTRAINT pk_users PRIMARY KEY (id),
    CONSTRAINT ck_users_display_name_length CHECK (char_length(display_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_users_email_shape CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND char_length(email) <= 320),
    CONSTRAINT ck_users_external_subject_length CHECK (char_length(external_subject) BETWEEN 1 AND 255),
    CONSTRAINT ck_users_profile_is_object CHECK (jsonb_typeof(profile) = 'object'),
    CONSTRAINT ck_users_roles_known CHECK (cardinality(roles) >= 1 AND roles <@ ARRAY['learner','educator','author','analyst','admin']::text[])
);

CREATE TABLE hephaestus.cohort_members (
    cohort_id uuid NOT NULL,
    user_id uuid NOT NULL,
    member_role text NOT NULL,
    added_at timestamp with time zone NOT NULL DEFAULT (now()),
    CONSTRAINT pk_cohort_members PRIMARY KEY (cohort_id, user_id),
    CONSTRAINT ck_cohort_members_role CHECK (member_role IN ('educator','learner')),
    CONSTRAINT fk_cohort_members_cohorts_cohort_id FOREIGN KEY (cohort_id) REFERENCES hephaestus.cohorts (id) ON DELETE CASCADE,
    CONSTRAINT fk_cohort_members_users_user_id FOREIGN KEY (user_id) REFERENCES hephaestus.users (id) ON DELETE CASCADE
);

CREATE INDEX ix_cohort_members_user_id_member_role ON hephaestus.cohort_members (user_id, member_role);

CREATE UNIQUE INDEX ix_users_external_subject ON hephaestus.users (external_subject);

CREATE INDEX ix_users_profile ON hephaestus.users USING gin (profile jsonb_path_ops);
