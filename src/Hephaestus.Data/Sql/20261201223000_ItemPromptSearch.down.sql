DROP INDEX hephaestus.ix_item_versions_prompt_search;
ALTER TABLE hephaestus.item_versions DROP COLUMN prompt_search;
CREATE INDEX ix_item_versions_prompt_search ON hephaestus.item_versions
    USING gin (to_tsvector('english', coalesce(definition ->> 'prompt', '')));

CREATE OR REPLACE FUNCTION hephaestus.item_definitions(ids uuid[]) RETURNS TABLE (id uuid, definition jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = hephaestus, pg_temp
    AS $$ SELECT v.id, v.definition FROM item_versions v WHERE v.id = ANY (item_definitions.ids) AND can_author() $$;
