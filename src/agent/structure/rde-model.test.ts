import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT, SHARED_DIR } from '../../testing/paths.js';
import { RDE_SCHEMA_FILES, XsdCompiler, modelSource, translatePattern } from './xsd-compiler.js';
import { RDE_MODEL } from './rde-model.js';

const SCHEMAS = resolve(SHARED_DIR, 'rde/schemas');

test('the checked-in model is exactly what the compiler makes of the official RFC 8909/9022 schemas', () => {
  const compiled = XsdCompiler.compileDir(SCHEMAS);
  const checkedIn = readFileSync(join(PROJECT_ROOT, 'src/agent/structure/rde-model.ts'), 'utf8');
  assert.equal(checkedIn, modelSource(compiled), 'rde-model.ts is stale: regenerate it (see xsd-compiler.ts)');
  assert.deepEqual(RDE_MODEL, JSON.parse(JSON.stringify(compiled)));
});

test('the wrapper all-rde-deposit.xsd imports exactly the files the compiler reads, in that order', () => {
  const wrapper = readFileSync(join(SCHEMAS, 'all-rde-deposit.xsd'), 'utf8');
  const imported = [...wrapper.matchAll(/schemaLocation="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(imported, RDE_SCHEMA_FILES);
});

test('substitution groups: rde:content admits every RFC 9022 object and the header, never an abstract element', () => {
  const content = RDE_MODEL.elements[RDE_MODEL.globalElements['{urn:ietf:params:xml:ns:rde-1.0}content']!]!;
  const names = content.substitutes!.map((i) => `${RDE_MODEL.elements[i]!.ns.replace('urn:ietf:params:xml:ns:', '')} ${RDE_MODEL.elements[i]!.local}`).sort();
  assert.deepEqual(names, [
    'rdeContact-1.0 contact',
    'rdeDomain-1.0 domain',
    'rdeEppParams-1.0 eppParams',
    'rdeHeader-1.0 header',
    'rdeHost-1.0 host',
    'rdeIDN-1.0 idnTableRef',
    'rdeNNDN-1.0 NNDN',
    'rdePolicy-1.0 policy',
    'rdeRegistrar-1.0 registrar',
  ]);
  const domain = RDE_MODEL.elements[RDE_MODEL.globalElements['{urn:ietf:params:xml:ns:rdeDomain-1.0}domain']!]!;
  assert.equal(RDE_MODEL.types[domain.type]!.name, '{urn:ietf:params:xml:ns:rdeDomain-1.0}abstractContentType', 'an element without type takes its head\'s type');
});

test('compiler refuses XSD constructs the checker does not implement', () => {
  const compiler = new XsdCompiler();
  compiler.addSchema(
    'x.xsd',
    `<schema xmlns="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x" elementFormDefault="qualified"><complexType name="t"><all><element name="a"/></all></complexType></schema>`,
  );
  assert.throws(() => compiler.compile(), /<all> is not supported/);
  assert.throws(() => translatePattern('[a-z-[aeiou]]'), /subtraction/);
});

test('XSD regexes are anchored and \\w means "not punctuation, separator or other"', () => {
  const re = new RegExp(translatePattern('(\\w|_){1,80}-\\w{1,8}'), 'u');
  assert.ok(re.test('Dexample1-TEST'));
  assert.ok(re.test('Dé_x-TEST'));
  assert.ok(!re.test('D.x-TEST'), '. is punctuation');
  assert.ok(!re.test('xDexample1-TEST-'), 'anchored at the end');
  assert.ok(new RegExp(translatePattern('a.c'), 'u').test('abc'));
  assert.ok(!new RegExp(translatePattern('a.c'), 'u').test('a\nc'));
});
