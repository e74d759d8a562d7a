/**
 * Content models as automata. A particle tree (sequence, choice, element, wildcard, with
 * occurrence bounds) becomes a Thompson NFA whose bounded repetitions are unrolled; the DFA is
 * built lazily by subset construction, one state per set of NFA states actually reached, and
 * each state caches its transitions by element name. The Unique Particle Attribution rule of
 * XSD 1.0 (§3.8.6) guarantees that an element name selects a single particle, so a state's
 * transition also tells which declaration (or wildcard) validates the child.
 *
 * Memory: one automaton per complex type used, bounded by the schema, not by the document;
 * transitions are cached only for names that match.
 */
import type { NamespaceConstraint, Particle, ProcessContents, SchemaModel } from './model-types.js';

/** What matched a child element: a declaration, or a wildcard and its process-contents mode. */
export type Match = { kind: 'element'; el: number } | { kind: 'wildcard'; pc: ProcessContents };

type Term = { kind: 'element'; names: Map<string, number>; label: string } | { kind: 'wildcard'; ns: NamespaceConstraint; pc: ProcessContents; label: string };

interface NfaState {
  eps: number[];
  term?: { term: Term; to: number };
}

/** A cached transition: the next state and what validates the child. */
export interface Transition {
  state: DfaState;
  match: Match;
}

export interface DfaState {
  readonly accepting: boolean;
  /** Cached transitions by interned expanded-name id (XName.id of src/common/xml-scan.ts): one array read per child element. */
  readonly byId: Array<Transition | undefined>;
  /** Cached transitions by namespace, then local name (saxes hands out the same namespace string objects, whose hash V8 caches). */
  readonly next: Map<string, Map<string, Transition>>;
  /** NFA states (sorted) of this DFA state. */
  readonly set: number[];
}

/** Name ids cached per state (interned ids are small; a hostile document's fresh names are not cached by id). */
const MAX_ID_CACHE = 1 << 16;

/** Expanding `max` beyond this many copies is refused (the RDE schemas use at most 11). */
const MAX_UNROLL = 64;

export function qkey(ns: string, local: string): string {
  return `{${ns}}${local}`;
}

export function namespaceMatches(c: NamespaceConstraint, ns: string): boolean {
  if ('any' in c) return true;
  if ('not' in c) return !c.not.includes(ns);
  return c.in.includes(ns);
}

export class ContentAutomaton {
  private readonly nfa: NfaState[] = [];
  private readonly final: number;
  private readonly dfaStates = new Map<string, DfaState>();
  readonly start: DfaState;

  constructor(
    private readonly model: SchemaModel,
    particle: Particle,
  ) {
    const start = this.newState();
    const end = this.build(particle, start);
    this.final = end;
    this.start = this.dfa(this.closure([start]));
  }

  private newState(): number {
    this.nfa.push({ eps: [] });
    return this.nfa.length - 1;
  }

  private term(p: Particle): Term {
    if (p.k === 'w') {
      const label = 'any' in p.ns ? 'any element' : 'not' in p.ns ? 'an element of another namespace' : `an element of ${p.ns.in.join(' or ')}`;
      return { kind: 'wildcard', ns: p.ns, pc: p.pc, label };
    }
    if (p.k !== 'e') throw new Error('not a term');
    const decl = this.model.elements[p.el]!;
    const names = new Map<string, number>();
    const members = decl.global ? (decl.substitutes ?? []) : [p.el];
    for (const m of members) {
      const e = this.model.elements[m]!;
      names.set(qkey(e.ns, e.local), m);
    }
    return { kind: 'element', names, label: [...names.keys()].join(' | ') || qkey(decl.ns, decl.local) };
  }

  /** Thompson construction from `from`; returns the end state. */
  private build(p: Particle, from: number): number {
    const once = (start: number): number => {
      if (p.k === 'e' || p.k === 'w') {
        const to = this.newState();
        this.nfa[start]!.term = { term: this.term(p), to };
        return to;
      }
      if (p.k === 's') {
        let cursor = start;
        for (const item of p.items) cursor = this.build(item, cursor);
        return cursor;
      }
      const end = this.newState();
      for (const item of p.items) {
        const s = this.newState();
        this.nfa[start]!.eps.push(s);
        this.nfa[this.build(item, s)]!.eps.push(end);
      }
      return end;
    };
    const copy = (start: number): number => {
      // A term state carries one transition: give each copy its own entry state.
      const entry = this.newState();
      this.nfa[start]!.eps.push(entry);
      return once(entry);
    };
    let cursor = from;
    for (let i = 0; i < p.min; i++) cursor = copy(cursor);
    if (p.max === -1) {
      const loopStart = this.newState();
      this.nfa[cursor]!.eps.push(loopStart);
      const loopEnd = copy(loopStart);
      this.nfa[loopEnd]!.eps.push(loopStart);
      const end = this.newState();
      this.nfa[loopStart]!.eps.push(end);
      return end;
    }
    if (p.max - p.min > MAX_UNROLL) throw new Error(`maxOccurs ${p.max} is too large to unroll`);
    const end = this.newState();
    for (let i = p.min; i < p.max; i++) {
      this.nfa[cursor]!.eps.push(end);
      cursor = copy(cursor);
    }
    this.nfa[cursor]!.eps.push(end);
    return end;
  }

  private closure(states: number[]): number[] {
    const seen = new Set<number>();
    const stack = [...states];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      for (const e of this.nfa[s]!.eps) stack.push(e);
    }
    return [...seen].filter((s) => this.nfa[s]!.term !== undefined || s === this.final).sort((a, b) => a - b);
  }

  private dfa(set: number[]): DfaState {
    const key = set.join(',');
    let state = this.dfaStates.get(key);
    if (!state) {
      state = { accepting: set.includes(this.final), byId: [], next: new Map(), set };
      this.dfaStates.set(key, state);
    }
    return state;
  }

  /**
   * `step` for an interned expanded name (the scanner's XName): the transition is cached by its
   * id, so a child costs one array read once its name was seen in this state.
   */
  stepName(state: DfaState, name: { readonly ns: string; readonly local: string; readonly id: number }): Transition | null {
    const cached = state.byId[name.id];
    if (cached !== undefined) return cached;
    const t = this.step(state, name.ns, name.local);
    if (t !== null && name.id < MAX_ID_CACHE) state.byId[name.id] = t;
    return t;
  }

  /** The transition on a child element, or null when the content model does not allow it here. */
  step(state: DfaState, ns: string, local: string): Transition | null {
    let byLocal = state.next.get(ns);
    const cached = byLocal?.get(local);
    if (cached) return cached;
    const key = qkey(ns, local);
    let match: Match | null = null;
    const targets: number[] = [];
    // Element particles first: XSD 1.0 UPA makes element/wildcard overlap a schema error, so
    // a valid schema never needs the order; it only decides which one a broken schema uses.
    for (const s of state.set) {
      const t = this.nfa[s]!.term;
      if (!t || t.term.kind !== 'element') continue;
      const el = t.term.names.get(key);
      if (el === undefined) continue;
      if (match === null) match = { kind: 'element', el };
      if (match.kind === 'element' && match.el === el) targets.push(t.to);
    }
    if (match === null) {
      for (const s of state.set) {
        const t = this.nfa[s]!.term;
        if (!t || t.term.kind !== 'wildcard' || !namespaceMatches(t.term.ns, ns)) continue;
        if (match === null) match = { kind: 'wildcard', pc: t.term.pc };
        targets.push(t.to);
      }
    }
    if (match === null) return null;
    const result = { state: this.dfa(this.closure(targets)), match };
    if (!byLocal) {
      byLocal = new Map();
      state.next.set(ns, byLocal);
    }
    byLocal.set(local, result);
    return result;
  }

  /** What may come next in `state` (for messages), at most `limit` names. */
  expected(state: DfaState, limit = 6): string[] {
    const out = new Set<string>();
    for (const s of state.set) {
      const t = this.nfa[s]!.term;
      if (t) out.add(t.term.label);
      if (out.size >= limit) break;
    }
    return [...out];
  }
}
