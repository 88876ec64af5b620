-- Reverts 20261201210300_ResultsReads.

DROP INDEX hephaestus.ix_attempts_assessment;
