-- Strongroom change journal, version 2 (src/journal, docs/schema-mapping.md "Change journal").
--
-- Every insert, update and delete of a registry object (or of one of its child rows) is
-- recorded in strongroom.journal by the transaction that made it, with that transaction's id
-- (pg_current_xact_id()). A DIFF/INCR deposit contains exactly the objects with a journal entry
-- that its own snapshot sees and the previous deposit's snapshot (strongroom.deposit.snapshot)
-- does not: `NOT pg_visible_in_snapshot(xid, previous)`. Snapshot visibility, not time, decides,
-- so a transaction that commits while a deposit is being written lands in exactly one DIFF
-- (the next one), however the clocks and commit order interleave.
--
-- The triggers are statement-level with transition tables: a bulk load (COPY of a million
-- rows) writes one journal row per distinct object per statement, not one per row trigger call.

CREATE TABLE strongroom.journal (
  seq  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- The writing transaction (top level even inside a savepoint: it commits with it).
  xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  -- The object kind, as in the deposit (src/sources/source.ts SOURCE_KINDS).
  kind text NOT NULL CHECK (kind IN ('registrar', 'idnTable', 'contact', 'host', 'domain', 'nndn', 'eppParams', 'policy')),
  -- insert/update/delete of the object's own row; child: one of its child rows (statuses,
  -- contacts, name servers …) changed, or something it shows changed (a linked host's name).
  op   text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'child')),
  -- The object's key in its rde view: registrar id, IDN table id, contact id, host roid,
  -- domain roid, NNDN aName; the TLD for eppParams and policy.
  key  text COLLATE "C" NOT NULL,
  -- The TLD of per-TLD objects (NULL for repository objects and for child entries).
  tld  text COLLATE "C",
  -- Domain and host name as of that row version: a deleted domain is named by name in <rde:deletes>.
  name text COLLATE "C",
  -- For people (`journal status`) only; never used to decide what a deposit contains.
  at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX journal_xid ON strongroom.journal (xid);
CREATE INDEX journal_kind_key ON strongroom.journal (kind, key COLLATE "C");

-- The journal is complete for every deposit whose snapshot was taken at or after `since`: the
-- moment the triggers started (this migration), moved forward by `journal prune`. A DIFF whose
-- previous deposit is older is refused (JOURNAL_INCOMPLETE) rather than silently missing changes.
CREATE TABLE strongroom.journal_horizon (
  one      boolean PRIMARY KEY DEFAULT true CHECK (one),
  since    timestamptz NOT NULL,
  -- Why `since` is where it is: installed, pruned, or a TRUNCATE.
  reason   text NOT NULL DEFAULT 'installed',
  -- The deposit whose snapshot pruning cut at (NULL: never pruned).
  tld      text COLLATE "C",
  id       text COLLATE "C",
  pruned   bigint NOT NULL DEFAULT 0
);

-- A deposit is confirmed delivered (to the escrow agent) when this is set: `journal prune`
-- keeps everything a deposit after the last delivered FULL can still need.
ALTER TABLE strongroom.deposit ADD COLUMN delivered_at timestamptz;

-- One trigger function for every journaled table. Arguments: kind, key expression, TLD
-- expression, name expression (over the table's columns; 'NULL' when none), and 'object' for the
-- object's own table or 'child' for a child table.
CREATE FUNCTION strongroom.journal_changes() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
  child boolean := TG_ARGV[4] = 'child';
  op text := CASE WHEN TG_ARGV[4] = 'child' THEN 'child' ELSE lower(TG_OP) END;
  pick text := format('SELECT DISTINCT %L, %L, (%s)::text, (%s)::text, (%s)::text FROM ',
                      TG_ARGV[0], op, TG_ARGV[1],
                      CASE WHEN child THEN 'NULL' ELSE TG_ARGV[2] END,
                      CASE WHEN child THEN 'NULL' ELSE TG_ARGV[3] END);
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE 'INSERT INTO strongroom.journal (kind, op, key, tld, name) ' || pick || 'new_rows';
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE 'INSERT INTO strongroom.journal (kind, op, key, tld, name) ' || pick || 'old_rows';
  ELSE
    -- Both versions: if an update changed the key, the old key no longer exists (a delete for
    -- the DIFF) and the new one does.
    EXECUTE 'INSERT INTO strongroom.journal (kind, op, key, tld, name) ' || pick || 'old_rows UNION ' || pick || 'new_rows';
  END IF;
  RETURN NULL;
END
$fn$;

-- A host's name is shown inside every domain that uses it (<domain:hostObj>): renaming a host
-- changes those domains' escrow records, so they are journaled too.
CREATE FUNCTION strongroom.journal_host_rename() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO strongroom.journal (kind, op, key)
  SELECT DISTINCT 'domain', 'child', n.domain_roid
  FROM new_rows h JOIN old_rows o ON o.roid = h.roid AND o.name IS DISTINCT FROM h.name
  JOIN registry.domain_ns n ON n.host_roid = h.roid;
  RETURN NULL;
END
$fn$;

-- TRUNCATE fires no row-set triggers and would bypass the journal: it moves the journal's
-- horizon instead, so that no DIFF is computed across it (the next deposit must be a FULL).
CREATE FUNCTION strongroom.journal_truncated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  UPDATE strongroom.journal_horizon SET since = greatest(since, clock_timestamp()), reason = 'truncate of registry.' || TG_TABLE_NAME;
  RETURN NULL;
END
$fn$;

DO $do$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    -- table                       kind          key              tld      name    own/child
    ('registrar',           'registrar', 'id',             'NULL', 'NULL', 'object'),
    ('registrar_postal',    'registrar', 'registrar_id',   'NULL', 'NULL', 'child'),
    ('idn_table',           'idnTable',  'id',             'tld',  'NULL', 'object'),
    ('contact',             'contact',   'id',             'NULL', 'NULL', 'object'),
    ('contact_status',      'contact',   'contact_id',     'NULL', 'NULL', 'child'),
    ('contact_postal',      'contact',   'contact_id',     'NULL', 'NULL', 'child'),
    ('host',                'host',      'roid',           'NULL', 'name', 'object'),
    ('host_status',         'host',      'host_roid',      'NULL', 'NULL', 'child'),
    ('host_addr',           'host',      'host_roid',      'NULL', 'NULL', 'child'),
    ('domain',              'domain',    'roid',           'tld',  'name', 'object'),
    ('domain_status',       'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_rgp_status',   'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_contact',      'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_ns',           'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_ns_attr',      'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_ns_attr_addr', 'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_ds',           'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('domain_key',          'domain',    'domain_roid',    'NULL', 'NULL', 'child'),
    ('nndn',                'nndn',      'a_name',         'tld',  'NULL', 'object'),
    ('epp_params',          'eppParams', 'tld',            'tld',  'NULL', 'object'),
    ('policy',              'policy',    'tld',            'tld',  'NULL', 'object')
  ) AS v(tbl, kind, key, tld, name, role)
  LOOP
    EXECUTE format('CREATE TRIGGER journal_insert AFTER INSERT ON registry.%I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION strongroom.journal_changes(%L, %L, %L, %L, %L)', t.tbl, t.kind, t.key, t.tld, t.name, t.role);
    EXECUTE format('CREATE TRIGGER journal_update AFTER UPDATE ON registry.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION strongroom.journal_changes(%L, %L, %L, %L, %L)', t.tbl, t.kind, t.key, t.tld, t.name, t.role);
    EXECUTE format('CREATE TRIGGER journal_delete AFTER DELETE ON registry.%I REFERENCING OLD TABLE AS old_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION strongroom.journal_changes(%L, %L, %L, %L, %L)', t.tbl, t.kind, t.key, t.tld, t.name, t.role);
    EXECUTE format('CREATE TRIGGER journal_truncate AFTER TRUNCATE ON registry.%I
                    FOR EACH STATEMENT EXECUTE FUNCTION strongroom.journal_truncated()', t.tbl);
    -- ALWAYS: they fire under session_replication_role = replica too (bulk loads that defer
    -- foreign-key checks that way, logical replication appliers): no write escapes the journal.
    EXECUTE format('ALTER TABLE registry.%I ENABLE ALWAYS TRIGGER journal_insert, ENABLE ALWAYS TRIGGER journal_update,
                    ENABLE ALWAYS TRIGGER journal_delete, ENABLE ALWAYS TRIGGER journal_truncate', t.tbl);
  END LOOP;
END
$do$;

CREATE TRIGGER journal_host_rename AFTER UPDATE ON registry.host REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION strongroom.journal_host_rename();
ALTER TABLE registry.host ENABLE ALWAYS TRIGGER journal_host_rename;

-- Last, so that every write committed after this moment is journaled (creating the triggers
-- waited for the tables' writers).
INSERT INTO strongroom.journal_horizon (since) VALUES (clock_timestamp());
