-- Every analyst policy of 0027 (later migrations' own are reverted before this one runs).
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT policyname, tablename FROM pg_policies
             WHERE schemaname = 'hephaestus' AND policyname LIKE '%\_analytics\_read'
    LOOP
        EXECUTE format('DROP POLICY %I ON hephaestus.%I', p.policyname, p.tablename);
    END LOOP;
END
$$;
DROP FUNCTION hephaestus.analyses_all();
DROP FUNCTION hephaestus.in_analytics();
