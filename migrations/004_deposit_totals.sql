-- Strongroom reference schema, version 4: the header counts of each recorded deposit.
--
-- RFC 9022 §5.9.1: a deposit's header counts the registry's objects at its watermark, whatever
-- the deposit type. `totals` keeps them per kind (the JSON keys of `counts`), so that the next
-- DIFF or INCR derives its own from them and the change journal (src/journal/journal.ts
-- `changedTotals`: the objects created in its window less those deleted) instead of counting
-- the whole registry again. NULL for deposits recorded before this version: a DIFF after such a
-- deposit counts the registry.
ALTER TABLE strongroom.deposit ADD COLUMN totals jsonb;
