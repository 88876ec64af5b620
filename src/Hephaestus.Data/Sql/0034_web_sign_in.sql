-- Issue 14: one-time sign-in links for the web app in the embedded default (`hephaestus token --user … --link`).
-- The verb stores only the SHA-256 of a random code and prints the code in a loopback URL; the web app redeems it once,
-- within its lifetime, for a session as that user. A reference table on Citus: it names a person through user_identities
-- and is read by code, never by learner.

CREATE TABLE hephaestus.web_sign_in_links (
    code_sha256 bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES hephaestus.user_identities (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    redeemed_at timestamptz,
    CONSTRAINT ck_web_sign_in_links_code CHECK (octet_length(code_sha256) = 32),
    CONSTRAINT ck_web_sign_in_links_lifetime CHECK (expires_at > created_at AND expires_at <= created_at + interval '1 day'),
    CONSTRAINT ck_web_sign_in_links_redeemed CHECK (redeemed_at IS NULL OR redeemed_at >= created_at)
);
CREATE INDEX ix_web_sign_in_links_user ON hephaestus.web_sign_in_links (user_id);
COMMENT ON TABLE hephaestus.web_sign_in_links IS
    'One-time sign-in links of the embedded default: the SHA-256 of each code, its user, its lifetime and when it was used. Deleted with the user.';

-- Row-level security with no policy: the application role neither reads nor writes links; it redeems one through the
-- function below, which is all it needs and says nothing about codes it does not hold.
ALTER TABLE hephaestus.web_sign_in_links ENABLE ROW LEVEL SECURITY;

-- Redeems a link: marks it used and returns its user's subject, only while it is unused and unexpired. One UPDATE, so of
-- two redemptions of one code the second waits for the first's row lock, then sees redeemed_at set and gets no row.
CREATE FUNCTION hephaestus.redeem_web_sign_in_link(p_code_sha256 bytea) RETURNS text
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$
        WITH redeemed AS (
            UPDATE web_sign_in_links SET redeemed_at = now()
            WHERE code_sha256 = p_code_sha256 AND redeemed_at IS NULL AND expires_at > now()
            RETURNING user_id
        )
        SELECT i.external_subject FROM redeemed r JOIN user_identities i ON i.id = r.user_id
    $$;
REVOKE EXECUTE ON FUNCTION hephaestus.redeem_web_sign_in_link(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hephaestus.redeem_web_sign_in_link(bytea) TO hephaestus_app;
