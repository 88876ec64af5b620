DROP TABLE hephaestus.imports;
DROP TABLE hephaestus.external_ids;
