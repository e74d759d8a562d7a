-- Strongroom reference registry schema, version 1.
--
-- Three schemas:
--   registry   the reference registry tables: every RFC 9022 object with every field.
--              A registry that already has its own schema does not need these tables.
--   rde        the read contract: the views Strongroom reads deposits from. An operator with
--              an existing registry maps their own tables onto these views (docs/schema-mapping.md).
--   strongroom Strongroom's own bookkeeping in the registry database (deposits and their snapshots).
--
-- Conventions:
--   * Natural keys (registrar id, contact id, host roid, domain roid …) link objects, collated
--     "C" so ordering is byte order on every server and in the embedded database.
--   * Repeated elements live in child tables with an `ord` column: their order is preserved from
--     load to deposit, so a rebuilt registry re-deposits byte-identically.
--   * Enumerations are CHECKed; patterns, lengths, dates and cross-object references that the
--     deposit pre-flight reports on are deliberately left to the pre-flight (so that data from a
--     mapped foreign schema, which has no such constraints, is judged by the same rules).
--   * Registrar references (clID, crRr, upRr, reRr, acRr) are foreign keys: registrars are never
--     deleted, only set to status 'terminated' (Nomulus keeps them for the same reason).

CREATE SCHEMA registry;
CREATE SCHEMA rde;
CREATE SCHEMA IF NOT EXISTS strongroom;

-- One row per TLD held in this registry database.
CREATE TABLE registry.tld (
  name        text COLLATE "C" PRIMARY KEY,          -- A-label, no dot
  roid_suffix text NOT NULL,                          -- repository id registered with IANA (roid after '-')
  host_model  text NOT NULL DEFAULT 'objects' CHECK (host_model IN ('objects', 'attributes')),
  data_model  text NOT NULL DEFAULT 'maximum' CHECK (data_model IN ('minimum', 'maximum', 'per-registrar')),
  created     timestamptz NOT NULL DEFAULT now()
);

-- RFC 9022 §5.4 Registrar.
CREATE TABLE registry.registrar (
  id         text COLLATE "C" PRIMARY KEY,            -- clID
  name       text NOT NULL,
  gurid      numeric(20, 0),                          -- IANA Registrar ID
  status     text CHECK (status IN ('ok', 'readonly', 'terminated')),
  voice      text,
  voice_x    text,
  fax        text,
  fax_x      text,
  email      text,
  url        text,
  whois_name text,
  whois_url  text,
  cr_date    timestamptz,
  up_date    timestamptz
);

CREATE TABLE registry.registrar_postal (
  registrar_id text COLLATE "C" NOT NULL REFERENCES registry.registrar (id) ON DELETE CASCADE,
  ord          smallint NOT NULL,
  type         text NOT NULL CHECK (type IN ('int', 'loc')),
  street       text[] NOT NULL DEFAULT '{}',
  city         text NOT NULL,
  sp           text,
  pc           text,
  cc           text NOT NULL,
  PRIMARY KEY (registrar_id, ord)
);

-- RFC 9022 §5.3 Contact.
CREATE TABLE registry.contact (
  id             text COLLATE "C" PRIMARY KEY,
  roid           text COLLATE "C" NOT NULL UNIQUE,
  voice          text,
  voice_x        text,
  fax            text,
  fax_x          text,
  email          text NOT NULL,
  cl_id          text COLLATE "C" NOT NULL REFERENCES registry.registrar (id),
  cr_rr          text COLLATE "C" REFERENCES registry.registrar (id),
  cr_rr_client   text,
  cr_date        timestamptz,
  up_rr          text COLLATE "C" REFERENCES registry.registrar (id),
  up_rr_client   text,
  up_date        timestamptz,
  tr_date        timestamptz,
  tr_status      text CHECK (tr_status IN ('clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled')),
  re_rr          text COLLATE "C" REFERENCES registry.registrar (id),
  re_rr_client   text,
  re_date        timestamptz,
  ac_rr          text COLLATE "C" REFERENCES registry.registrar (id),
  ac_rr_client   text,
  ac_date        timestamptz,
  disclose_flag  boolean,                             -- NULL: no <disclose> element
  disclose_name  text[] NOT NULL DEFAULT '{}',        -- postal types ('int','loc') named under <disclose>
  disclose_org   text[] NOT NULL DEFAULT '{}',
  disclose_addr  text[] NOT NULL DEFAULT '{}',
  disclose_voice boolean NOT NULL DEFAULT false,
  disclose_fax   boolean NOT NULL DEFAULT false,
  disclose_email boolean NOT NULL DEFAULT false
);

CREATE TABLE registry.contact_status (
  contact_id text COLLATE "C" NOT NULL REFERENCES registry.contact (id) ON DELETE CASCADE,
  ord        smallint NOT NULL,
  s          text NOT NULL CHECK (s IN ('clientDeleteProhibited', 'clientTransferProhibited', 'clientUpdateProhibited', 'linked', 'ok',
                                        'pendingCreate', 'pendingDelete', 'pendingTransfer', 'pendingUpdate',
                                        'serverDeleteProhibited', 'serverTransferProhibited', 'serverUpdateProhibited')),
  lang       text,
  msg        text,
  PRIMARY KEY (contact_id, ord)
);

CREATE TABLE registry.contact_postal (
  contact_id text COLLATE "C" NOT NULL REFERENCES registry.contact (id) ON DELETE CASCADE,
  ord        smallint NOT NULL,
  type       text NOT NULL CHECK (type IN ('int', 'loc')),
  name       text NOT NULL,
  org        text,
  street     text[] NOT NULL DEFAULT '{}',
  city       text NOT NULL,
  sp         text,
  pc         text,
  cc         text NOT NULL,
  PRIMARY KEY (contact_id, ord)
);

-- RFC 9022 §5.2 Host.
CREATE TABLE registry.host (
  roid         text COLLATE "C" PRIMARY KEY,
  name         text COLLATE "C" NOT NULL UNIQUE,
  cl_id        text COLLATE "C" NOT NULL REFERENCES registry.registrar (id),
  cr_rr        text COLLATE "C" REFERENCES registry.registrar (id),
  cr_rr_client text,
  cr_date      timestamptz,
  up_rr        text COLLATE "C" REFERENCES registry.registrar (id),
  up_rr_client text,
  up_date      timestamptz,
  tr_date      timestamptz
);

CREATE TABLE registry.host_status (
  host_roid text COLLATE "C" NOT NULL REFERENCES registry.host (roid) ON DELETE CASCADE,
  ord       smallint NOT NULL,
  s         text NOT NULL CHECK (s IN ('clientDeleteProhibited', 'clientUpdateProhibited', 'linked', 'ok', 'pendingCreate',
                                       'pendingDelete', 'pendingTransfer', 'pendingUpdate', 'serverDeleteProhibited', 'serverUpdateProhibited')),
  lang      text,
  msg       text,
  PRIMARY KEY (host_roid, ord)
);

CREATE TABLE registry.host_addr (
  host_roid text COLLATE "C" NOT NULL REFERENCES registry.host (roid) ON DELETE CASCADE,
  ord       smallint NOT NULL,
  ip        text NOT NULL CHECK (ip IN ('v4', 'v6')),
  addr      text NOT NULL,
  PRIMARY KEY (host_roid, ord)
);

-- RFC 9022 §5.5 IDN table reference (per TLD).
CREATE TABLE registry.idn_table (
  tld        text COLLATE "C" NOT NULL REFERENCES registry.tld (name),
  id         text COLLATE "C" NOT NULL,
  url        text NOT NULL,
  url_policy text NOT NULL,
  PRIMARY KEY (tld, id)
);

-- RFC 9022 §5.1 Domain.
CREATE TABLE registry.domain (
  roid          text COLLATE "C" PRIMARY KEY,
  name          text COLLATE "C" NOT NULL UNIQUE,      -- A-label FQDN
  tld           text COLLATE "C" NOT NULL REFERENCES registry.tld (name),
  u_name        text,
  idn_table_id  text COLLATE "C",
  original_name text,
  registrant    text COLLATE "C" REFERENCES registry.contact (id),
  cl_id         text COLLATE "C" NOT NULL REFERENCES registry.registrar (id),
  cr_rr         text COLLATE "C" REFERENCES registry.registrar (id),
  cr_rr_client  text,
  cr_date       timestamptz,
  ex_date       timestamptz,
  up_rr         text COLLATE "C" REFERENCES registry.registrar (id),
  up_rr_client  text,
  up_date       timestamptz,
  max_sig_life  integer,                               -- secDNS:maxSigLife
  tr_date       timestamptz,
  tr_status     text CHECK (tr_status IN ('clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled')),
  re_rr         text COLLATE "C" REFERENCES registry.registrar (id),
  re_rr_client  text,
  re_date       timestamptz,
  ac_rr         text COLLATE "C" REFERENCES registry.registrar (id),
  ac_rr_client  text,
  ac_date       timestamptz,
  tr_ex_date    timestamptz,                           -- trnData/exDate
  FOREIGN KEY (tld, idn_table_id) REFERENCES registry.idn_table (tld, id)
);
CREATE INDEX domain_tld_roid ON registry.domain (tld, roid);

CREATE TABLE registry.domain_status (
  domain_roid text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord         smallint NOT NULL,
  s           text NOT NULL CHECK (s IN ('clientDeleteProhibited', 'clientHold', 'clientRenewProhibited', 'clientTransferProhibited',
                                          'clientUpdateProhibited', 'inactive', 'ok', 'pendingCreate', 'pendingDelete', 'pendingRenew',
                                          'pendingTransfer', 'pendingUpdate', 'serverDeleteProhibited', 'serverHold',
                                          'serverRenewProhibited', 'serverTransferProhibited', 'serverUpdateProhibited')),
  lang        text,
  msg         text,
  PRIMARY KEY (domain_roid, ord)
);

CREATE TABLE registry.domain_rgp_status (
  domain_roid text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord         smallint NOT NULL,
  s           text NOT NULL CHECK (s IN ('addPeriod', 'autoRenewPeriod', 'renewPeriod', 'transferPeriod', 'pendingDelete',
                                          'pendingRestore', 'redemptionPeriod')),
  lang        text,
  msg         text,
  PRIMARY KEY (domain_roid, ord)
);

CREATE TABLE registry.domain_contact (
  domain_roid text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord         smallint NOT NULL,
  type        text NOT NULL CHECK (type IN ('admin', 'billing', 'tech')),
  contact_id  text COLLATE "C" NOT NULL REFERENCES registry.contact (id),
  PRIMARY KEY (domain_roid, ord)
);
CREATE INDEX domain_contact_contact ON registry.domain_contact (contact_id);
CREATE INDEX domain_registrant ON registry.domain (registrant);

-- Name servers, host-object model: links to host objects (renaming a host renames it here).
CREATE TABLE registry.domain_ns (
  domain_roid text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord         smallint NOT NULL,
  host_roid   text COLLATE "C" NOT NULL REFERENCES registry.host (roid),
  PRIMARY KEY (domain_roid, ord)
);
CREATE INDEX domain_ns_host ON registry.domain_ns (host_roid);

-- Name servers, host-attribute model: name and addresses held by the domain.
CREATE TABLE registry.domain_ns_attr (
  domain_roid text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord         smallint NOT NULL,
  host_name   text NOT NULL,
  PRIMARY KEY (domain_roid, ord)
);

CREATE TABLE registry.domain_ns_attr_addr (
  domain_roid text COLLATE "C" NOT NULL,
  ns_ord      smallint NOT NULL,
  ord         smallint NOT NULL,
  ip          text NOT NULL CHECK (ip IN ('v4', 'v6')),
  addr        text NOT NULL,
  PRIMARY KEY (domain_roid, ns_ord, ord),
  FOREIGN KEY (domain_roid, ns_ord) REFERENCES registry.domain_ns_attr (domain_roid, ord) ON DELETE CASCADE
);

-- DNSSEC (RFC 5910): DS data (with optional key data) or key data.
CREATE TABLE registry.domain_ds (
  domain_roid  text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord          smallint NOT NULL,
  key_tag      integer NOT NULL CHECK (key_tag BETWEEN 0 AND 65535),
  alg          smallint NOT NULL CHECK (alg BETWEEN 0 AND 255),
  digest_type  smallint NOT NULL CHECK (digest_type BETWEEN 0 AND 255),
  digest       text NOT NULL,
  key_flags    integer CHECK (key_flags BETWEEN 0 AND 65535),
  key_protocol smallint CHECK (key_protocol BETWEEN 0 AND 255),
  key_alg      smallint CHECK (key_alg BETWEEN 0 AND 255),
  key_pub      text,
  PRIMARY KEY (domain_roid, ord)
);

CREATE TABLE registry.domain_key (
  domain_roid text COLLATE "C" NOT NULL REFERENCES registry.domain (roid) ON DELETE CASCADE,
  ord         smallint NOT NULL,
  flags       integer NOT NULL CHECK (flags BETWEEN 0 AND 65535),
  protocol    smallint NOT NULL CHECK (protocol BETWEEN 0 AND 255),
  alg         smallint NOT NULL CHECK (alg BETWEEN 0 AND 255),
  pub_key     text NOT NULL,
  PRIMARY KEY (domain_roid, ord)
);

-- RFC 9022 NNDN (non-standard / reserved names), per TLD.
CREATE TABLE registry.nndn (
  a_name        text COLLATE "C" PRIMARY KEY,
  tld           text COLLATE "C" NOT NULL REFERENCES registry.tld (name),
  u_name        text,
  idn_table_id  text COLLATE "C",
  original_name text,
  name_state    text NOT NULL CHECK (name_state IN ('withheld', 'blocked', 'mirrored')),
  mirroring_ns  boolean,                               -- NULL: attribute absent (schema default true)
  cr_date       timestamptz,
  FOREIGN KEY (tld, idn_table_id) REFERENCES registry.idn_table (tld, id)
);
CREATE INDEX nndn_tld ON registry.nndn (tld, a_name);

-- RFC 9022 EPP parameters, one per TLD.
CREATE TABLE registry.epp_params (
  tld     text COLLATE "C" PRIMARY KEY REFERENCES registry.tld (name),
  version text[] NOT NULL,
  lang    text[] NOT NULL,
  obj_uri text[] NOT NULL,
  ext_uri text[] NOT NULL DEFAULT '{}',
  dcp     jsonb NOT NULL                               -- the Dcp structure of src/model/objects.ts
);

-- RFC 9022 policy objects, per TLD.
CREATE TABLE registry.policy (
  tld     text COLLATE "C" NOT NULL REFERENCES registry.tld (name),
  ord     smallint NOT NULL,
  scope   text NOT NULL,
  element text NOT NULL,
  PRIMARY KEY (tld, ord)
);

---------------------------------------------------------------------------------------------
-- The read contract (schema rde). Strongroom reads only these relations. Each child relation
-- is keyed by its parent's key plus `ord`; Strongroom reads parents in key order and children
-- by key range, so these keys must be indexed in whatever tables lie underneath.
---------------------------------------------------------------------------------------------

CREATE VIEW rde.tld AS
  SELECT name, roid_suffix, host_model, data_model FROM registry.tld;

CREATE VIEW rde.registrar AS
  SELECT id, name, gurid::text AS gurid, status, voice, voice_x, fax, fax_x, email, url,
         whois_name, whois_url, cr_date, up_date
  FROM registry.registrar;

CREATE VIEW rde.registrar_postal AS
  SELECT registrar_id, ord, type, street, city, sp, pc, cc FROM registry.registrar_postal;

CREATE VIEW rde.contact AS
  SELECT id, roid, voice, voice_x, fax, fax_x, email, cl_id, cr_rr, cr_rr_client, cr_date,
         up_rr, up_rr_client, up_date, tr_date, tr_status, re_rr, re_rr_client, re_date,
         ac_rr, ac_rr_client, ac_date, disclose_flag, disclose_name, disclose_org,
         disclose_addr, disclose_voice, disclose_fax, disclose_email
  FROM registry.contact;

CREATE VIEW rde.contact_status AS
  SELECT contact_id, ord, s, lang, msg FROM registry.contact_status;

CREATE VIEW rde.contact_postal AS
  SELECT contact_id, ord, type, name, org, street, city, sp, pc, cc FROM registry.contact_postal;

CREATE VIEW rde.host AS
  SELECT roid, name, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date, tr_date
  FROM registry.host;

CREATE VIEW rde.host_status AS
  SELECT host_roid, ord, s, lang, msg FROM registry.host_status;

CREATE VIEW rde.host_addr AS
  SELECT host_roid, ord, ip, addr FROM registry.host_addr;

CREATE VIEW rde.domain AS
  SELECT roid, name, tld, u_name, idn_table_id, original_name, registrant, cl_id, cr_rr,
         cr_rr_client, cr_date, ex_date, up_rr, up_rr_client, up_date, max_sig_life, tr_date,
         tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date, tr_ex_date
  FROM registry.domain;

CREATE VIEW rde.domain_status AS
  SELECT domain_roid, ord, s, lang, msg FROM registry.domain_status;

CREATE VIEW rde.domain_rgp_status AS
  SELECT domain_roid, ord, s, lang, msg FROM registry.domain_rgp_status;

CREATE VIEW rde.domain_contact AS
  SELECT domain_roid, ord, type, contact_id FROM registry.domain_contact;

CREATE VIEW rde.domain_ns AS
  SELECT n.domain_roid, n.ord, h.name AS host_name
  FROM registry.domain_ns n JOIN registry.host h ON h.roid = n.host_roid;

CREATE VIEW rde.domain_ns_attr AS
  SELECT domain_roid, ord, host_name FROM registry.domain_ns_attr;

CREATE VIEW rde.domain_ns_attr_addr AS
  SELECT domain_roid, ns_ord, ord, ip, addr FROM registry.domain_ns_attr_addr;

CREATE VIEW rde.domain_ds AS
  SELECT domain_roid, ord, key_tag, alg, digest_type, digest, key_flags, key_protocol, key_alg, key_pub
  FROM registry.domain_ds;

CREATE VIEW rde.domain_key AS
  SELECT domain_roid, ord, flags, protocol, alg, pub_key FROM registry.domain_key;

CREATE VIEW rde.idn_table AS
  SELECT tld, id, url, url_policy FROM registry.idn_table;

CREATE VIEW rde.nndn AS
  SELECT a_name, tld, u_name, idn_table_id, original_name, name_state, mirroring_ns, cr_date
  FROM registry.nndn;

CREATE VIEW rde.epp_params AS
  SELECT tld, version, lang, obj_uri, ext_uri, dcp FROM registry.epp_params;

CREATE VIEW rde.policy AS
  SELECT tld, ord, scope, element FROM registry.policy;

---------------------------------------------------------------------------------------------
-- Strongroom bookkeeping.
---------------------------------------------------------------------------------------------

-- Every deposit written, with the identity of the snapshot it was read from. The snapshot
-- (pg_current_snapshot() of the read transaction) is what exact DIFF deposits are computed
-- against: a change is in the next DIFF iff it is visible to the next snapshot and not to this one.
CREATE TABLE strongroom.deposit (
  tld           text COLLATE "C" NOT NULL,
  id            text COLLATE "C" NOT NULL,
  resend        integer NOT NULL DEFAULT 0,
  type          text NOT NULL CHECK (type IN ('FULL', 'DIFF', 'INCR', 'THIN')),
  prev_id       text COLLATE "C",
  watermark     timestamptz NOT NULL,
  snapshot      text NOT NULL,
  snapshot_time timestamptz NOT NULL,
  file_name     text NOT NULL,
  bytes         bigint NOT NULL,
  sha256        text NOT NULL,
  counts        jsonb NOT NULL,
  findings      integer NOT NULL DEFAULT 0,
  quarantined   integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tld, id, resend)
);
