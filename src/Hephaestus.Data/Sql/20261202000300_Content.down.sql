DROP TABLE hephaestus.content_versions;
DROP FUNCTION hephaestus.guard_content_version_immutable();
DROP TABLE hephaestus.content_item_skills;
DROP TABLE hephaestus.content_items;
DROP TABLE hephaestus.content_bodies;
