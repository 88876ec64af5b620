DROP TABLE hephaestus.xapi_activities;
DROP TABLE hephaestus.xapi_documents;
DROP FUNCTION hephaestus.can_write_xapi_document(text, uuid);
DROP FUNCTION hephaestus.xapi_agent_user(text, uuid, uuid);
DROP FUNCTION hephaestus.xapi_credential_by_key(text);
DROP TABLE hephaestus.xapi_credentials;
