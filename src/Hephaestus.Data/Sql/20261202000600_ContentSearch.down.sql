DROP FUNCTION hephaestus.content_version_ids_matching(jsonb, jsonpath, uuid, integer);
