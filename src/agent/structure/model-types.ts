/**
 * The compact, typed description of an XML Schema (XSD 1.0) that the structure checker runs on.
 *
 * It is the XSD component model flattened for streaming validation: every type carries its
 * effective content model and attribute uses (extensions already merged), every simple type
 * its effective facets (built-in ranges included), every global element the non-abstract
 * members of its substitution group. `rde-model.ts` holds the instance for RFC 8909 / RFC 9022
 * and the EPP schemas they import; `xsd-compiler.ts` produces it from the official XSDs and a
 * test proves the checked-in copy matches them.
 */

/** Wildcard namespace constraint (XSD 1.0 §3.10.1): any, not one of (##other), or one of. */
export type NamespaceConstraint = { any: true } | { not: string[] } | { in: string[] };

/** How a wildcard's matches are validated (XSD 1.0 §3.10.1 {process contents}). */
export type ProcessContents = 'strict' | 'lax' | 'skip';

/** A particle: element declaration, wildcard, sequence or choice, with occurrence bounds (max -1 = unbounded). */
export type Particle =
  | { k: 'e'; el: number; min: number; max: number }
  | { k: 'w'; ns: NamespaceConstraint; pc: ProcessContents; min: number; max: number }
  | { k: 's' | 'c'; items: Particle[]; min: number; max: number };

/** Primitive datatypes the checker knows the lexical space of (XSD 1.0 Part 2 §3.2). */
export type Primitive =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'float'
  | 'double'
  | 'duration'
  | 'dateTime'
  | 'time'
  | 'date'
  | 'gYearMonth'
  | 'gYear'
  | 'gMonthDay'
  | 'gDay'
  | 'gMonth'
  | 'hexBinary'
  | 'base64Binary'
  | 'anyURI'
  | 'QName';

/** Effective facets of a simple type; `patterns` is one group per derivation step (all groups must match, any pattern within one). */
export interface Facets {
  length?: number;
  minLength?: number;
  maxLength?: number;
  /** JavaScript regular-expression sources (anchored, `u` flag), translated from XSD regexes. */
  patterns?: string[][];
  enumeration?: string[];
  minInclusive?: string;
  maxInclusive?: string;
  minExclusive?: string;
  maxExclusive?: string;
  totalDigits?: number;
  fractionDigits?: number;
}

export interface SimpleTypeDef {
  kind: 'simple';
  /** `{namespace}local` of a named type; absent for anonymous types. */
  name?: string;
  primitive: Primitive | 'anySimpleType';
  /** whiteSpace facet: preserve, replace or collapse (XSD 1.0 Part 2 §4.3.6). */
  ws: 'preserve' | 'replace' | 'collapse';
  facets: Facets;
  /** Names of this type and every named ancestor, most derived first (for xsi:type derivation checks). */
  chain: string[];
}

export interface AttributeUse {
  ns: string;
  local: string;
  type: number;
  required: boolean;
  fixed?: string;
}

export interface ComplexTypeDef {
  kind: 'complex';
  name?: string;
  abstract?: boolean;
  mixed: boolean;
  content: { k: 'empty' } | { k: 'simple'; type: number } | { k: 'elements'; particle: Particle };
  attributes: AttributeUse[];
  anyAttribute?: { ns: NamespaceConstraint; pc: ProcessContents };
  chain: string[];
  /** The base type's index and whether this type extends it (false: restriction); absent for anyType. */
  base?: { type: number; extension: boolean };
}

export type TypeDef = SimpleTypeDef | ComplexTypeDef;

export interface ElementDef {
  ns: string;
  local: string;
  type: number;
  global: boolean;
  abstract?: boolean;
  nillable?: boolean;
  fixed?: string;
  /** Global elements only: the non-abstract elements that may appear where this one is referenced (itself included when not abstract). */
  substitutes?: number[];
}

export interface SchemaModel {
  /** Where the model was compiled from (file names and SHA-256 of each XSD, for the drift test). */
  sources: { file: string; sha256: string }[];
  types: TypeDef[];
  elements: ElementDef[];
  /** `{namespace}local` → index in `types` of every named type (built-ins under the XSD namespace). */
  typeNames: Record<string, number>;
  /** `{namespace}local` → index in `elements` of every global element. */
  globalElements: Record<string, number>;
  /** Index of xs:anyType in `types`. */
  anyType: number;
}

export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
