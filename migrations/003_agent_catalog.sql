-- Strongroom escrow agent catalog, version 3 (src/agent/catalog.ts).
--
-- Schema `agent`: what the agent received, verified, keeps, deleted and released. The files
-- themselves live in the agent's repository directory, content-addressed by SHA-256
-- (src/agent/repository.ts); this catalog names them. Nothing here holds registry data.

CREATE SCHEMA IF NOT EXISTS agent;

-- One row per received deposit: Spec 2 Part A §5 name without the part number,
-- `{tld}_{YYYY-MM-DD}_{type}_R{rev}`.
CREATE TABLE agent.deposit (
  key          text COLLATE "C" PRIMARY KEY,
  tld          text COLLATE "C" NOT NULL,
  name_date    date NOT NULL,                 -- the watermark date in the file name
  type         text NOT NULL CHECK (type IN ('full', 'diff', 'thin')),
  rev          integer NOT NULL CHECK (rev >= 0),
  parts        integer NOT NULL CHECK (parts >= 1),
  source       text NOT NULL,                 -- the inbox it came from (no credentials)
  received_at  timestamptz NOT NULL,
  -- received → verified (PASS) | failed (FAIL) | error (ERROR, a check could not run)
  status       text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'verified', 'failed', 'error')),
  -- From the verified XML (RFC 8909 §4): id, prevId, watermark, resend.
  deposit_id   text,
  prev_id      text,
  watermark    timestamptz,
  resend       integer,
  verified_at  timestamptz,
  report_json  text,                          -- path of the latest report, relative to the repository
  legal_hold   boolean NOT NULL DEFAULT false,
  hold_reason  text,
  deleted_at   timestamptz,
  delete_reason text
);
CREATE INDEX deposit_tld_date ON agent.deposit (tld, name_date, rev);

-- The files of a deposit as received: every part and its signature.
CREATE TABLE agent.file (
  deposit_key text COLLATE "C" NOT NULL REFERENCES agent.deposit (key),
  name        text COLLATE "C" NOT NULL,
  part        integer NOT NULL CHECK (part >= 1),
  kind        text NOT NULL CHECK (kind IN ('ryde', 'sig')),
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size        bigint NOT NULL CHECK (size >= 0),
  PRIMARY KEY (deposit_key, part, kind)
);
CREATE INDEX file_sha256 ON agent.file (sha256);

-- Every verification run (the latest decides agent.deposit.status).
CREATE TABLE agent.verification (
  id           bigserial PRIMARY KEY,
  deposit_key  text COLLATE "C" NOT NULL REFERENCES agent.deposit (key),
  status       text NOT NULL CHECK (status IN ('PASS', 'FAIL', 'ERROR')),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  errors       integer NOT NULL,
  warnings     integer NOT NULL,
  report_json  text NOT NULL,
  report_text  text NOT NULL
);

-- Releases (Spec 2 Part B §6): requested, approved by two distinct people, then exported.
CREATE TABLE agent.release (
  id           text COLLATE "C" PRIMARY KEY,
  tld          text COLLATE "C" NOT NULL,
  requested_at timestamptz NOT NULL,
  reason       text,
  exported_at  timestamptz,
  exported_to  text
);

CREATE TABLE agent.approval (
  release_id  text COLLATE "C" NOT NULL REFERENCES agent.release (id),
  approver    text NOT NULL,
  approved_at timestamptz NOT NULL,
  PRIMARY KEY (release_id, approver)
);

-- The head of the audit log's hash chain (src/agent/audit.ts): detects lines cut off the end.
CREATE TABLE agent.audit_head (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  seq      bigint NOT NULL,
  hash     text NOT NULL
);
