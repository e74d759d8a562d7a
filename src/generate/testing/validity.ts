/**
 * Test-only: the validity rules a generated registry must satisfy, as SQL over the reference
 * schema (RFC 9022 / XSD patterns, RFC 5731–5733 status rules, ICANN RST rde-07..rde-12 as
 * listed in docs/rde-standards.md §2.12). Each check returns offending keys; an empty list
 * means the rule holds. The deposit writer's pre-flight judges the same data independently.
 */
import { domainToASCII } from 'node:url';
import type { Queryable } from '../../db/adapter.js';

export interface Check {
  name: string;
  sql: string;
}

/** ISO 3166-1 alpha-2 codes the generator may use (a subset of the standard, checked here). */
const ISO_3166 = new Set(
  'AU BR CA CN CZ DE EG ES FR GB GR HK IE IL IN JP KR NL NZ PL RU SE TH TR US VN ZA'.split(' '),
);

/** Checks parameterised by $1 = TLD, $2 = as-of (timestamptz), $3 = roid suffix. */
export const CHECKS: readonly Check[] = [
  { name: 'domain roid pattern and repository id', sql: `SELECT roid FROM registry.domain WHERE tld = $1 AND roid !~ ('^[A-Za-z0-9_]{1,80}-' || $3 || '$')` },
  { name: 'host roid pattern', sql: `SELECT roid FROM registry.host WHERE right(roid, length($3) + 1) = '-' || $3 AND roid !~ ('^[A-Za-z0-9_]{1,80}-' || $3 || '$')` },
  { name: 'contact roid pattern', sql: `SELECT roid FROM registry.contact WHERE right(roid, length($3) + 1) = '-' || $3 AND roid !~ ('^[A-Za-z0-9_]{1,80}-' || $3 || '$')` },
  {
    name: 'clIDType lengths 3..16 (ids, references, clients)',
    sql: `SELECT v FROM (
            SELECT id AS v FROM registry.registrar UNION ALL SELECT id FROM registry.contact
            UNION ALL SELECT cr_rr_client FROM registry.contact UNION ALL SELECT up_rr_client FROM registry.contact
            UNION ALL SELECT re_rr_client FROM registry.contact UNION ALL SELECT ac_rr_client FROM registry.contact
            UNION ALL SELECT cr_rr_client FROM registry.domain UNION ALL SELECT up_rr_client FROM registry.domain
            UNION ALL SELECT re_rr_client FROM registry.domain UNION ALL SELECT ac_rr_client FROM registry.domain
            UNION ALL SELECT cr_rr_client FROM registry.host UNION ALL SELECT up_rr_client FROM registry.host) x
          WHERE v IS NOT NULL AND (length(v) < 3 OR length(v) > 16 OR v <> btrim(v))`,
  },
  {
    name: 'e164 phone numbers (+CC.NUMBER, at most 17 characters)',
    sql: `SELECT v FROM (SELECT voice AS v FROM registry.contact UNION ALL SELECT fax FROM registry.contact
                        UNION ALL SELECT voice FROM registry.registrar UNION ALL SELECT fax FROM registry.registrar) x
          WHERE v IS NOT NULL AND (v !~ '^\\+[0-9]{1,3}\\.[0-9]{1,14}$' OR length(v) > 17)`,
  },
  {
    name: 'e-mail addresses (RFC 5322 §3.4.1 dot-atom)',
    sql: `SELECT email FROM (SELECT email FROM registry.contact UNION ALL SELECT email FROM registry.registrar) x
          WHERE email IS NOT NULL AND email !~ '^[A-Za-z0-9!#$%&''*+/=?^_\`{|}~-]+(\\.[A-Za-z0-9!#$%&''*+/=?^_\`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$'`,
  },
  { name: 'int postal info is ASCII (RFC 5733 §2.3)', sql: `SELECT contact_id FROM registry.contact_postal WHERE type = 'int' AND (name || coalesce(org, '') || array_to_string(street, '') || city || coalesce(sp, '') || coalesce(pc, '')) ~ '[^\\x20-\\x7e]'` },
  { name: 'one postal info per type', sql: `SELECT contact_id FROM registry.contact_postal GROUP BY contact_id, type HAVING count(*) > 1` },
  { name: 'postal code ≤ 16, street lines ≤ 3', sql: `SELECT contact_id FROM registry.contact_postal WHERE length(pc) > 16 OR cardinality(street) > 3 UNION ALL SELECT registrar_id FROM registry.registrar_postal WHERE length(pc) > 16 OR cardinality(street) > 3` },
  {
    // Per TLD: the generator gives each TLD its own registrar accounts (ids end in -<tag>); the
    // same accredited registrar keeps its IANA id across TLDs.
    name: 'registrar gurid present and unique within the TLD',
    sql: `SELECT id FROM registry.registrar WHERE right(id, length($3) + 1) = '-' || lower($3) AND gurid IS NULL
          UNION ALL SELECT min(id) FROM registry.registrar WHERE right(id, length($3) + 1) = '-' || lower($3) GROUP BY gurid HAVING count(*) > 1`,
  },
  {
    name: 'domain crDate < as-of < exDate unless pendingDelete; exDate > crDate',
    sql: `SELECT d.name FROM registry.domain d WHERE d.tld = $1 AND (d.cr_date IS NULL OR d.ex_date IS NULL OR d.cr_date >= $2 OR d.ex_date <= d.cr_date
            OR (d.ex_date <= $2 AND NOT EXISTS (SELECT 1 FROM registry.domain_status s WHERE s.domain_roid = d.roid AND s.s = 'pendingDelete')))`,
  },
  {
    name: 'past dates before as-of, updates after creation',
    sql: `SELECT name FROM registry.domain WHERE tld = $1 AND (up_date >= $2 OR tr_date >= $2 OR re_date >= $2 OR up_date < cr_date OR tr_date < cr_date)
          UNION ALL SELECT roid FROM registry.host WHERE cr_date >= $2 OR up_date >= $2 OR tr_date >= $2 OR up_date < cr_date
          UNION ALL SELECT id FROM registry.contact WHERE cr_date >= $2 OR up_date >= $2 OR tr_date >= $2 OR re_date >= $2 OR up_date < cr_date OR tr_date < cr_date
          UNION ALL SELECT id FROM registry.registrar WHERE cr_date >= $2 OR up_date >= $2 OR up_date < cr_date`,
  },
  { name: 'upRr and upDate together', sql: `SELECT name FROM registry.domain WHERE (up_rr IS NULL) <> (up_date IS NULL) UNION ALL SELECT roid FROM registry.host WHERE (up_rr IS NULL) <> (up_date IS NULL) UNION ALL SELECT id FROM registry.contact WHERE (up_rr IS NULL) <> (up_date IS NULL)` },
  {
    name: 'transfer data complete, pending ⇔ pendingTransfer',
    sql: `SELECT d.name FROM registry.domain d WHERE d.tld = $1 AND (
            (d.tr_status IS NULL) <> (d.re_rr IS NULL) OR (d.tr_status IS NULL) <> (d.re_date IS NULL) OR (d.tr_status IS NULL) <> (d.ac_rr IS NULL) OR (d.tr_status IS NULL) <> (d.ac_date IS NULL)
            OR (d.tr_status IS NULL AND d.tr_ex_date IS NOT NULL) OR d.ac_date < d.re_date
            OR (d.tr_status = 'pending') <> EXISTS (SELECT 1 FROM registry.domain_status s WHERE s.domain_roid = d.roid AND s.s = 'pendingTransfer')
            OR (d.tr_status = 'pending' AND (d.ac_rr <> d.cl_id OR d.re_rr = d.cl_id))
            OR (d.tr_status IN ('clientApproved', 'serverApproved') AND d.re_rr <> d.cl_id))
          UNION ALL SELECT c.id FROM registry.contact c WHERE (c.tr_status IS NULL) <> (c.re_rr IS NULL) OR (c.tr_status IS NULL) <> (c.ac_date IS NULL) OR c.ac_date < c.re_date
            OR (c.tr_status = 'pending') <> EXISTS (SELECT 1 FROM registry.contact_status s WHERE s.contact_id = c.id AND s.s = 'pendingTransfer')`,
  },
  {
    name: 'domain status rules (RFC 5731 §2.3) and 1..11 statuses',
    sql: `WITH s AS (SELECT d.roid, d.name, array_agg(st.s) AS v, count(*) AS n, count(DISTINCT st.s) AS distinct_n,
                          EXISTS (SELECT 1 FROM registry.domain_ns n WHERE n.domain_roid = d.roid) OR EXISTS (SELECT 1 FROM registry.domain_ns_attr a WHERE a.domain_roid = d.roid) AS delegated
                   FROM registry.domain d LEFT JOIN registry.domain_status st ON st.domain_roid = d.roid WHERE d.tld = $1 GROUP BY d.roid, d.name)
          SELECT name FROM s WHERE v = '{NULL}' OR n > 11 OR n <> distinct_n
            OR ('ok' = ANY (v) AND n > 1)
            OR ('pendingDelete' = ANY (v) AND v && '{clientDeleteProhibited,serverDeleteProhibited}')
            OR ('pendingRenew' = ANY (v) AND v && '{clientRenewProhibited,serverRenewProhibited}')
            OR ('pendingTransfer' = ANY (v) AND v && '{clientTransferProhibited,serverTransferProhibited}')
            OR ('pendingUpdate' = ANY (v) AND v && '{clientUpdateProhibited,serverUpdateProhibited}')
            OR (SELECT count(*) FROM unnest(v) p WHERE p IN ('pendingCreate', 'pendingDelete', 'pendingRenew', 'pendingTransfer', 'pendingUpdate')) > 1
            OR ('inactive' = ANY (v)) = delegated`,
  },
  {
    name: 'host and contact status rules (RFC 5732/5733): 1..7, ok only with linked, pending exclusive',
    sql: `WITH s AS (SELECT h.roid AS k, array_agg(st.s) AS v, count(*) AS n FROM registry.host h JOIN registry.host_status st ON st.host_roid = h.roid GROUP BY h.roid
                   UNION ALL SELECT c.id, array_agg(st.s), count(*) FROM registry.contact c JOIN registry.contact_status st ON st.contact_id = c.id GROUP BY c.id)
          SELECT k FROM s WHERE n > 7 OR ('ok' = ANY (v) AND NOT v <@ '{ok,linked}') OR v = '{linked}'
            OR ('pendingDelete' = ANY (v) AND v && '{clientDeleteProhibited,serverDeleteProhibited}')
            OR ('pendingTransfer' = ANY (v) AND v && '{clientTransferProhibited,serverTransferProhibited}')
            OR ('pendingUpdate' = ANY (v) AND v && '{clientUpdateProhibited,serverUpdateProhibited}')
            OR (SELECT count(*) FROM unnest(v) p WHERE p LIKE 'pending%') > 1
          UNION ALL SELECT roid FROM registry.host h WHERE NOT EXISTS (SELECT 1 FROM registry.host_status s WHERE s.host_roid = h.roid)
          UNION ALL SELECT id FROM registry.contact c WHERE NOT EXISTS (SELECT 1 FROM registry.contact_status s WHERE s.contact_id = c.id)`,
  },
  {
    name: 'host linked ⇔ used by a domain',
    sql: `SELECT h.roid FROM registry.host h WHERE right(h.roid, length($3) + 1) = '-' || $3 AND
            EXISTS (SELECT 1 FROM registry.host_status s WHERE s.host_roid = h.roid AND s.s = 'linked') <> EXISTS (SELECT 1 FROM registry.domain_ns n WHERE n.host_roid = h.roid)`,
  },
  {
    name: 'contact linked ⇔ used by a domain',
    sql: `SELECT c.id FROM registry.contact c WHERE right(c.roid, length($3) + 1) = '-' || $3 AND
            EXISTS (SELECT 1 FROM registry.contact_status s WHERE s.contact_id = c.id AND s.s = 'linked')
            <> (EXISTS (SELECT 1 FROM registry.domain d WHERE d.registrant = c.id) OR EXISTS (SELECT 1 FROM registry.domain_contact x WHERE x.contact_id = c.id))`,
  },
  {
    name: 'in-bailiwick hosts: glue, an existing parent domain with the same sponsor; external hosts: no addresses',
    sql: `SELECT h.name FROM registry.host h LEFT JOIN registry.domain p ON p.name = substring(h.name from '([^.]+\\.[^.]+)$')
          WHERE right(h.roid, length($3) + 1) = '-' || $3 AND (
            (right(h.name, length($1) + 1) = '.' || $1 AND (p.roid IS NULL OR p.cl_id <> h.cl_id OR NOT EXISTS (SELECT 1 FROM registry.host_addr a WHERE a.host_roid = h.roid)))
            OR (right(h.name, length($1) + 1) <> '.' || $1 AND EXISTS (SELECT 1 FROM registry.host_addr a WHERE a.host_roid = h.roid)))`,
  },
  {
    name: 'host attributes: glue exactly for in-bailiwick names',
    sql: `SELECT a.host_name FROM registry.domain_ns_attr a JOIN registry.domain d ON d.roid = a.domain_roid WHERE d.tld = $1 AND
            (right(a.host_name, length($1) + 1) = '.' || $1) <> EXISTS (SELECT 1 FROM registry.domain_ns_attr_addr x WHERE x.domain_roid = a.domain_roid AND x.ns_ord = a.ord)`,
  },
  {
    name: 'host model: host objects xor host attributes',
    sql: `SELECT d.name FROM registry.domain d JOIN registry.tld t ON t.name = d.tld WHERE d.tld = $1 AND (
            (t.host_model = 'objects' AND EXISTS (SELECT 1 FROM registry.domain_ns_attr a WHERE a.domain_roid = d.roid))
            OR (t.host_model = 'attributes' AND EXISTS (SELECT 1 FROM registry.domain_ns n WHERE n.domain_roid = d.roid)))`,
  },
  { name: 'no name server twice in a domain', sql: `SELECT domain_roid FROM registry.domain_ns GROUP BY domain_roid, host_roid HAVING count(*) > 1 UNION ALL SELECT domain_roid FROM registry.domain_ns_attr GROUP BY domain_roid, host_name HAVING count(*) > 1` },
  { name: 'DS digest length matches the digest type', sql: `SELECT domain_roid FROM registry.domain_ds WHERE digest !~ '^[0-9A-F]+$' OR length(digest) <> CASE digest_type WHEN 1 THEN 40 WHEN 2 THEN 64 WHEN 4 THEN 96 ELSE -1 END` },
  { name: 'DS data xor key data', sql: `SELECT domain_roid FROM registry.domain_ds ds WHERE EXISTS (SELECT 1 FROM registry.domain_key k WHERE k.domain_roid = ds.domain_roid)` },
  { name: 'NNDN names are not domain names', sql: `SELECT n.a_name FROM registry.nndn n JOIN registry.domain d ON d.name = n.a_name WHERE n.tld = $1` },
  {
    name: 'names: LDH labels of 1..63 octets, at most 253 octets',
    sql: `SELECT name FROM (SELECT name FROM registry.domain WHERE tld = $1 UNION ALL SELECT name FROM registry.host UNION ALL SELECT host_name FROM registry.domain_ns_attr UNION ALL SELECT a_name FROM registry.nndn WHERE tld = $1) x
          WHERE length(name) > 253 OR name !~ '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'`,
  },
  {
    name: 'XML 1.0 characters only (no control characters) in text',
    sql: `SELECT v FROM (SELECT name AS v FROM registry.contact_postal UNION ALL SELECT coalesce(org, '') FROM registry.contact_postal UNION ALL SELECT array_to_string(street, ' ') FROM registry.contact_postal
                        UNION ALL SELECT city FROM registry.contact_postal UNION ALL SELECT coalesce(msg, '') FROM registry.domain_status UNION ALL SELECT name FROM registry.registrar) x
          WHERE v ~ '[\\x01-\\x1f\\x7f]'`,
  },
];

/** Runs every check; returns "check: offending keys" lines (empty when all hold). */
export async function validityProblems(db: Queryable, tld: string, asOf: string, roidSuffix: string): Promise<string[]> {
  const problems: string[] = [];
  for (const check of CHECKS) {
    // The outer casts type every parameter, used by the check or not.
    const rows = await db.query(`SELECT * FROM (${check.sql}) q WHERE $1::text IS NOT NULL AND $2::timestamptz IS NOT NULL AND $3::text IS NOT NULL`, [tld, asOf, roidSuffix]);
    if (rows.length > 0) problems.push(`${check.name}: ${rows.slice(0, 5).map((r) => String(Object.values(r)[0])).join(', ')}${rows.length > 5 ? ` (+${rows.length - 5})` : ''}`);
  }
  // Checks easier in JavaScript: ISO 3166 codes and U-labels that map to the A-label.
  const ccs = await db.query<{ cc: string }>('SELECT DISTINCT cc FROM registry.contact_postal UNION SELECT DISTINCT cc FROM registry.registrar_postal');
  const unknown = ccs.map((r) => r.cc).filter((cc) => !ISO_3166.has(cc));
  if (unknown.length > 0) problems.push(`ISO 3166 alpha-2 country codes: ${unknown.join(', ')}`);
  const idns = await db.query<{ name: string; u_name: string }>(
    'SELECT name, u_name FROM registry.domain WHERE tld = $1 AND u_name IS NOT NULL UNION ALL SELECT a_name, u_name FROM registry.nndn WHERE tld = $1 AND u_name IS NOT NULL',
    [tld],
  );
  const mismatched = idns.filter((r) => domainToASCII(r.u_name) !== r.name).map((r) => r.name);
  if (mismatched.length > 0) problems.push(`uName does not map to the A-label name: ${mismatched.slice(0, 5).join(', ')}`);
  return problems;
}
