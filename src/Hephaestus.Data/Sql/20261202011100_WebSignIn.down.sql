-- Reverts Sql/0034_web_sign_in.sql.
DROP FUNCTION hephaestus.redeem_web_sign_in_link(bytea);
DROP TABLE hephaestus.web_sign_in_links;
