DROP FUNCTION hephaestus.drop_event_partition(date);
DROP FUNCTION hephaestus.event_partitions();
DROP FUNCTION hephaestus.create_event_partition(date);
DROP TABLE hephaestus.learning_event_staging;
DROP TABLE hephaestus.learning_events;
