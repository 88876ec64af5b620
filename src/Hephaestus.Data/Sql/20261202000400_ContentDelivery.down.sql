DROP INDEX hephaestus.ix_item_versions_stem_content_version;
ALTER TABLE hephaestus.item_versions DROP COLUMN stem_content_version_id;
DROP TABLE hephaestus.content_exposures;
DROP INDEX hephaestus.ix_path_steps_content_item;
ALTER TABLE hephaestus.path_steps DROP COLUMN content_item_id;
DROP POLICY content_versions_read ON hephaestus.content_versions;
CREATE POLICY content_versions_read ON hephaestus.content_versions FOR SELECT
    USING (hephaestus.can_author() OR hephaestus.has_role('educator') OR hephaestus.has_role('analyst')
           OR (hephaestus.is_signed_in() AND status = 'published'));
DROP POLICY content_versions_write ON hephaestus.content_versions;
CREATE POLICY content_versions_write ON hephaestus.content_versions FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());
DROP POLICY content_item_skills_write ON hephaestus.content_item_skills;
CREATE POLICY content_item_skills_write ON hephaestus.content_item_skills FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());
DROP POLICY content_items_write ON hephaestus.content_items;
CREATE POLICY content_items_write ON hephaestus.content_items FOR ALL USING (hephaestus.can_author()) WITH CHECK (hephaestus.can_author());
DROP POLICY content_bodies_touch ON hephaestus.content_bodies;
DROP POLICY content_bodies_write ON hephaestus.content_bodies;
CREATE POLICY content_bodies_write ON hephaestus.content_bodies FOR INSERT WITH CHECK (hephaestus.can_author());
DROP FUNCTION hephaestus.can_write_content();
