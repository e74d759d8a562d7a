/**
 * A small hand-written registry in the reference schema (migrations/001) that exercises every
 * column of every table and both name-server models:
 *
 * - `example`: host-object model, maximum data model, IDN tables, NNDN, policies;
 * - `xn--q9jyb4c` (みんな): host-attribute model, per-registrar data model, an IDN TLD.
 *
 * Values include the awkward ones a writer must get right: XML markup characters, non-ASCII
 * text, TAB/LF/CR, astral characters, empty optional arrays, every optional element present
 * once and absent once. All dates lie before FIXTURE_WATERMARK and every exDate after it
 * (except the pendingDelete domain), so a deposit at that watermark is clean.
 *
 * Insert with `loadFixtureRegistry(db)` into a migrated, empty database.
 */
import type { Queryable } from '../db/adapter.js';

/** A watermark at which the fixture is a clean, honourable FULL deposit. */
export const FIXTURE_WATERMARK = '2025-01-05T00:00:00Z';

export const FIXTURE_TLDS = { objects: 'example', attributes: 'xn--q9jyb4c' } as const;

/** Objects per kind a FULL deposit of each fixture TLD holds (exactly the kinds present). */
export const FIXTURE_COUNTS = {
  example: { registrar: 3, idnTable: 2, contact: 3, host: 3, domain: 5, nndn: 2, eppParams: 1, policy: 2 },
  'xn--q9jyb4c': { registrar: 3, idnTable: 1, contact: 3, domain: 2, eppParams: 1 },
} as const;

const DCP = JSON.stringify({
  access: 'all',
  statement: [
    { purpose: ['admin', 'prov'], recipient: { other: false, ours: [null, 'Registry & <partners>'], public: true, same: false, unrelated: false }, retention: 'stated' },
    { purpose: ['other', 'contact'], recipient: { other: true, ours: [], public: false, same: true, unrelated: true }, retention: 'legal' },
  ],
  expiry: { relative: 'P1Y' },
});

const DCP_ABSOLUTE = JSON.stringify({
  access: 'personalAndOther',
  statement: [{ purpose: ['prov'], recipient: { other: false, ours: [], public: false, same: true, unrelated: false }, retention: 'business' }],
  expiry: { absolute: '2030-01-01T00:00:00Z' },
});

export const FIXTURE_SQL = `
INSERT INTO registry.tld (name, roid_suffix, host_model, data_model) VALUES
  ('example', 'EXAMPLE', 'objects', 'maximum'),
  ('xn--q9jyb4c', 'MINNA', 'attributes', 'per-registrar');

INSERT INTO registry.registrar (id, name, gurid, status, voice, voice_x, fax, fax_x, email, url, whois_name, whois_url, cr_date, up_date) VALUES
  ('RegistrarX', 'Registrar X & Sons <Ltd> "Quoted"', 123, 'ok', '+1.7035555555', '1234', '+1.7035555556', '99', 'jdoe@example.test',
   'http://www.example.test/?a=1&b=2', 'whois.example.test', 'http://whois.example.test', '2005-04-23 11:49:00+00', '2009-02-17 17:51:00.123456+00'),
  ('RegistrarY', 'Régistrar Ÿ', 4567, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('reg-z', 'Terminated Registrar', 9999, 'terminated', '+44.2070000000', NULL, NULL, NULL, 'closed@example.test', NULL, 'whois.z.test', NULL, '2001-01-01 00:00:00+00', NULL);

INSERT INTO registry.registrar_postal (registrar_id, ord, type, street, city, sp, pc, cc) VALUES
  ('RegistrarX', 1, 'int', '{"123 Example Dr.","Suite 100"}', 'Dulles', 'VA', '20166-6503', 'US'),
  ('RegistrarX', 2, 'loc', '{"Rue de l''Église 4","2e étage","Boîte 7"}', 'Genève', NULL, '1204', 'CH'),
  ('reg-z', 1, 'loc', '{}', 'London', NULL, NULL, 'GB');

INSERT INTO registry.contact (id, roid, voice, voice_x, fax, fax_x, email, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date,
    tr_date, tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date,
    disclose_flag, disclose_name, disclose_org, disclose_addr, disclose_voice, disclose_fax, disclose_email) VALUES
  ('jd1234', 'Cjd1234-EXAMPLE', '+1.7035555555', '1234', '+1.7035555556', NULL, 'jdoe@example.test', 'RegistrarX', 'RegistrarX', 'jdoe',
   '2009-09-13 08:01:00+00', 'RegistrarX', 'jdoe', '2009-11-26 09:10:00+00', '2009-12-03 09:00:00+00', 'pending', 'RegistrarY', 'clientY',
   '2024-12-30 10:00:00+00', 'RegistrarX', 'clientX', '2025-01-09 10:00:00+00',
   false, '{int}', '{int,loc}', '{loc}', true, true, true),
  ('sh8013', 'Csh8013-EXAMPLE', NULL, NULL, NULL, NULL, 'sh@example.test', 'RegistrarX', NULL, NULL, '2008-01-10 10:00:00+00', NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{}', '{}', '{}', false, false, false),
  ('minna-7', 'C7-MINNA', '+81.312345678', NULL, NULL, NULL, 'yamada@example.jp', 'RegistrarY', 'RegistrarY', NULL, '2020-02-29 23:59:59.999999+00',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   true, '{}', '{}', '{}', false, false, true);

INSERT INTO registry.contact_status (contact_id, ord, s, lang, msg) VALUES
  ('jd1234', 1, 'linked', NULL, NULL),
  ('jd1234', 2, 'clientDeleteProhibited', 'fr', 'Raison : litige <en cours> & "suivi"'),
  ('jd1234', 3, 'pendingTransfer', NULL, NULL),
  ('sh8013', 1, 'ok', NULL, NULL),
  ('minna-7', 1, 'linked', 'ja', '使用中');

INSERT INTO registry.contact_postal (contact_id, ord, type, name, org, street, city, sp, pc, cc) VALUES
  ('jd1234', 1, 'int', 'John Doe', 'Example Inc.', '{"123 Example Dr.","Suite 100","Floor\t3"}', 'Dulles', 'VA', '20166-6503', 'US'),
  ('jd1234', 2, 'loc', 'Jöhn Dœ', 'Exämple 😀 Inc.', '{"Line with\nnewline and\rCR"}', 'Düsseldorf', NULL, NULL, 'DE'),
  ('sh8013', 1, 'loc', 'Sébastien Hüber', NULL, '{}', 'Genève', NULL, '1204', 'CH'),
  ('minna-7', 1, 'loc', '山田 太郎', '株式会社 例', '{"千代田区 1-1"}', '東京', '東京都', '100-0001', 'JP');

INSERT INTO registry.host (roid, name, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date, tr_date) VALUES
  ('H1-EXAMPLE', 'ns1.example.example', 'RegistrarX', 'RegistrarX', 'jdoe', '1999-05-08 12:10:00+00', 'RegistrarX', 'ops', '2009-10-03 09:34:00+00', '2010-01-01 00:00:00+00'),
  ('H2-EXAMPLE', 'ns1.example.com', 'RegistrarX', NULL, NULL, '1999-05-08 12:10:00+00', NULL, NULL, NULL, NULL),
  ('H3-EXAMPLE', 'ns2.example.example', 'RegistrarY', 'RegistrarY', NULL, '2001-01-01 00:00:00+00', NULL, NULL, NULL, NULL);

INSERT INTO registry.host_status (host_roid, ord, s, lang, msg) VALUES
  ('H1-EXAMPLE', 1, 'ok', NULL, NULL),
  ('H1-EXAMPLE', 2, 'linked', NULL, NULL),
  ('H2-EXAMPLE', 1, 'linked', NULL, NULL),
  ('H2-EXAMPLE', 2, 'serverDeleteProhibited', 'en', 'court order'),
  ('H3-EXAMPLE', 1, 'ok', NULL, NULL);

INSERT INTO registry.host_addr (host_roid, ord, ip, addr) VALUES
  ('H1-EXAMPLE', 1, 'v4', '192.0.2.2'),
  ('H1-EXAMPLE', 2, 'v4', '192.0.2.29'),
  ('H1-EXAMPLE', 3, 'v6', '1080:0:0:0:8:800:200C:417A'),
  ('H3-EXAMPLE', 1, 'v6', '2001:db8::53');

INSERT INTO registry.idn_table (tld, id, url, url_policy) VALUES
  ('example', 'de', 'https://www.iana.org/domains/idn-tables/tables/example_de_1.0.txt', 'https://nic.example/idn-policy?lang=de&v=1'),
  ('example', 'pt-BR', 'http://www.iana.org/domains/idn-tables/tables/br_pt-br_1.0.html', 'http://example.com/policy.html'),
  ('xn--q9jyb4c', 'ja', 'https://www.iana.org/domains/idn-tables/tables/minna_ja_1.0.txt', 'https://nic.minna/idn');

INSERT INTO registry.domain (roid, name, tld, u_name, idn_table_id, original_name, registrant, cl_id, cr_rr, cr_rr_client, cr_date, ex_date,
    up_rr, up_rr_client, up_date, max_sig_life, tr_date, tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date, tr_ex_date) VALUES
  ('D1-EXAMPLE', 'example.example', 'example', NULL, NULL, NULL, 'jd1234', 'RegistrarX', 'RegistrarX', 'jdoe', '1999-04-03 22:00:00+00', '2099-04-03 22:00:00+00',
   'RegistrarX', 'jdoe', '2009-12-03 09:05:00+00', 604800, '2000-04-08 09:00:00+00', 'pending', 'RegistrarY', 'clientY', '2024-12-31 09:00:00+00',
   'RegistrarX', 'clientX', '2025-01-10 09:00:00+00', '2100-04-03 22:00:00+00'),
  ('D2-EXAMPLE', 'plain.example', 'example', NULL, NULL, NULL, 'sh8013', 'RegistrarY', NULL, NULL, '2010-01-01 00:00:00+00', '2030-01-01 00:00:00+00',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('D3-EXAMPLE', 'xn--bcher-kva.example', 'example', 'bücher.example', 'de', 'buecher.example', 'jd1234', 'RegistrarX', 'RegistrarX', NULL,
   '2015-06-01 12:00:00.5+00', '2036-06-01 12:00:00.5+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('D4-EXAMPLE', 'signed.example', 'example', NULL, NULL, NULL, 'sh8013', 'RegistrarY', NULL, NULL, '2012-03-04 05:06:07+00', '2040-03-04 05:06:07+00',
   'RegistrarY', NULL, '2020-01-01 00:00:00+00', NULL, NULL, 'clientApproved', 'RegistrarX', NULL, '2019-01-01 00:00:00+00', 'RegistrarY', NULL,
   '2019-01-06 00:00:00+00', NULL),
  ('D5-EXAMPLE', 'expiring.example', 'example', NULL, NULL, NULL, 'jd1234', 'reg-z', NULL, NULL, '2001-01-01 00:00:00+00', '2024-06-01 00:00:00+00',
   NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('D1-MINNA', 'xn--r8jz45g.xn--q9jyb4c', 'xn--q9jyb4c', 'みんな.みんな', 'ja', NULL, 'minna-7', 'RegistrarY', 'RegistrarY', NULL,
   '2021-01-01 00:00:00+00', '2031-01-01 00:00:00+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  ('D2-MINNA', 'nocontact.xn--q9jyb4c', 'xn--q9jyb4c', NULL, NULL, NULL, NULL, 'RegistrarX', NULL, NULL,
   '2022-02-02 02:02:02+00', '2032-02-02 02:02:02+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

INSERT INTO registry.domain_status (domain_roid, ord, s, lang, msg) VALUES
  ('D1-EXAMPLE', 1, 'clientUpdateProhibited', NULL, NULL),
  ('D1-EXAMPLE', 2, 'pendingTransfer', 'de', 'Übertragung läuft'),
  ('D2-EXAMPLE', 1, 'ok', NULL, NULL),
  ('D3-EXAMPLE', 1, 'ok', NULL, NULL),
  ('D4-EXAMPLE', 1, 'serverHold', NULL, 'abuse ticket #42'),
  ('D4-EXAMPLE', 2, 'clientTransferProhibited', NULL, NULL),
  ('D5-EXAMPLE', 1, 'pendingDelete', NULL, NULL),
  ('D5-EXAMPLE', 2, 'inactive', NULL, NULL),
  ('D1-MINNA', 1, 'ok', NULL, NULL),
  ('D2-MINNA', 1, 'inactive', NULL, NULL);

INSERT INTO registry.domain_rgp_status (domain_roid, ord, s, lang, msg) VALUES
  ('D1-EXAMPLE', 1, 'transferPeriod', NULL, NULL),
  ('D5-EXAMPLE', 1, 'redemptionPeriod', 'en', 'deleted 2024-05-01'),
  ('D5-EXAMPLE', 2, 'pendingDelete', NULL, NULL);

INSERT INTO registry.domain_contact (domain_roid, ord, type, contact_id) VALUES
  ('D1-EXAMPLE', 1, 'admin', 'sh8013'),
  ('D1-EXAMPLE', 2, 'tech', 'sh8013'),
  ('D1-EXAMPLE', 3, 'billing', 'jd1234'),
  ('D3-EXAMPLE', 1, 'tech', 'jd1234'),
  ('D1-MINNA', 1, 'admin', 'minna-7');

INSERT INTO registry.domain_ns (domain_roid, ord, host_roid) VALUES
  ('D1-EXAMPLE', 1, 'H2-EXAMPLE'),
  ('D1-EXAMPLE', 2, 'H1-EXAMPLE'),
  ('D4-EXAMPLE', 1, 'H3-EXAMPLE');

INSERT INTO registry.domain_ns_attr (domain_roid, ord, host_name) VALUES
  ('D1-MINNA', 1, 'ns1.xn--r8jz45g.xn--q9jyb4c'),
  ('D1-MINNA', 2, 'ns.example.net'),
  ('D2-MINNA', 1, 'ns.example.org');

INSERT INTO registry.domain_ns_attr_addr (domain_roid, ns_ord, ord, ip, addr) VALUES
  ('D1-MINNA', 1, 1, 'v4', '198.51.100.7'),
  ('D1-MINNA', 1, 2, 'v6', '2001:db8::7');

INSERT INTO registry.domain_ds (domain_roid, ord, key_tag, alg, digest_type, digest, key_flags, key_protocol, key_alg, key_pub) VALUES
  ('D1-EXAMPLE', 1, 12345, 3, 1, '49FD46E6C4B45C55D4AC', 257, 3, 1, 'AQPJ////4Q=='),
  ('D1-EXAMPLE', 2, 65535, 13, 2, '49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC1234', NULL, NULL, NULL, NULL);

INSERT INTO registry.domain_key (domain_roid, ord, flags, protocol, alg, pub_key) VALUES
  ('D4-EXAMPLE', 1, 257, 3, 13, 'mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ=='),
  ('D4-EXAMPLE', 2, 256, 3, 13, 'oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA==');

INSERT INTO registry.nndn (a_name, tld, u_name, idn_table_id, original_name, name_state, mirroring_ns, cr_date) VALUES
  ('reserved.example', 'example', NULL, NULL, NULL, 'blocked', NULL, NULL),
  ('xn--exampl-gva.example', 'example', 'examplé.example', 'pt-BR', 'example.example', 'mirrored', false, '2005-04-23 11:49:00+00');

INSERT INTO registry.epp_params (tld, version, lang, obj_uri, ext_uri, dcp) VALUES
  ('example', '{1.0}', '{en,fr}', '{urn:ietf:params:xml:ns:domain-1.0,urn:ietf:params:xml:ns:host-1.0,urn:ietf:params:xml:ns:contact-1.0}',
   '{urn:ietf:params:xml:ns:secDNS-1.1,urn:ietf:params:xml:ns:rgp-1.0}', '${DCP}'),
  ('xn--q9jyb4c', '{1.0}', '{ja}', '{urn:ietf:params:xml:ns:domain-1.0,urn:ietf:params:xml:ns:contact-1.0}', '{}', '${DCP_ABSOLUTE}');

INSERT INTO registry.policy (tld, ord, scope, element) VALUES
  ('example', 1, '//rde:deposit/rde:contents/rdeDomain:domain', 'rdeDomain:registrant'),
  ('example', 2, '//rde:deposit/rde:contents/rdeDomain:domain', 'rdeDomain:exDate');
`;

/** Insert the fixture registry into a migrated database with an empty reference schema. */
export async function loadFixtureRegistry(db: Queryable): Promise<void> {
  await db.exec(FIXTURE_SQL);
}

/**
 * The fixture plus six broken objects, as a registry without constraints (a mapped schema) can
 * hold: a contact with a bad country code and one with a control character, a domain whose
 * registrant is that contact (the quarantine cascade), one with a dangling registrant, one with
 * a bad roid, and an NNDN that collides with a domain.
 */
export const FIXTURE_BREAKAGE = `
ALTER TABLE registry.domain DROP CONSTRAINT domain_registrant_fkey;
INSERT INTO registry.contact (id, roid, email, cl_id, cr_date) VALUES
  ('badcc', 'Cbad-EXAMPLE', 'x@example.test', 'RegistrarX', '2020-01-01Z'),
  ('ctrlchar', 'Cctl-EXAMPLE', 'y@example.test', 'RegistrarX', '2020-01-01Z');
INSERT INTO registry.contact_status (contact_id, ord, s) VALUES ('badcc', 1, 'ok'), ('ctrlchar', 1, 'ok');
INSERT INTO registry.contact_postal (contact_id, ord, type, name, city, cc) VALUES
  ('badcc', 1, 'int', 'N', 'C', 'ZZ'),
  ('ctrlchar', 1, 'int', E'Bell\\u0007Name', 'C', 'US');
INSERT INTO registry.domain (roid, name, tld, registrant, cl_id, cr_date, ex_date) VALUES
  ('D7-EXAMPLE', 'cascade.example', 'example', 'badcc', 'RegistrarX', '2020-01-01Z', '2030-01-01Z'),
  ('D8-EXAMPLE', 'dangling.example', 'example', 'ghost', 'RegistrarX', '2020-01-01Z', '2030-01-01Z'),
  ('BADROID', 'badroid.example', 'example', 'jd1234', 'RegistrarX', '2020-01-01Z', '2030-01-01Z');
INSERT INTO registry.domain_status (domain_roid, ord, s) VALUES ('D7-EXAMPLE', 1, 'ok'), ('D8-EXAMPLE', 1, 'ok'), ('BADROID', 1, 'ok');
INSERT INTO registry.nndn (a_name, tld, name_state) VALUES ('plain.example', 'example', 'blocked');
`;
