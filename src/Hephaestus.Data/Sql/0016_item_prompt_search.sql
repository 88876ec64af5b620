-- Text search over an item's prompt for the bank listing, readable by the application role.
-- 0014 indexed an expression over item_versions.definition, but 0009 withholds that column from the application role
-- (it holds the answer key), so no query of the service could use the expression. The prompt is not secret: it is kept
-- beside the definition as a stored tsvector that the role may read, with its own GIN index.
ALTER TABLE hephaestus.item_versions
    ADD COLUMN prompt_search tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(definition ->> 'prompt', ''))) STORED;

GRANT SELECT (prompt_search) ON hephaestus.item_versions TO hephaestus_app;

DROP INDEX hephaestus.ix_item_versions_prompt_search;
CREATE INDEX ix_item_versions_prompt_search ON hephaestus.item_versions USING gin (prompt_search);

-- Educators read whole items, keys included (they grade and review them: ItemsApi's rule since the bank began), but 0009's
-- door answered authors and admins only, so an educator's item read found nothing. The door now follows the API's rule.
CREATE OR REPLACE FUNCTION hephaestus.item_definitions(ids uuid[]) RETURNS TABLE (id uuid, definition jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$ SELECT v.id, v.definition FROM item_versions v WHERE v.id = ANY (item_definitions.ids) AND (can_author() OR has_role('educator')) $$;
