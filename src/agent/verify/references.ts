/**
 * Semantic stage `references` (RFC 9022 §5; ICANN RST rde-07…rde-10; nomulus'
 * ValidateEscrowDepositCommand): in a FULL deposit every reference resolves to an object of the
 * deposit, and no object is there twice.
 *
 *   domain registrant, admin/tech/billing contacts → contacts   (RDE_DOMAIN_HAS_INVALID_REGISTRANT,
 *                                                                SR_DOMAIN_CONTACT_MISSING)
 *   domain hostObj                                 → hosts      (SR_DOMAIN_HOST_MISSING)
 *   clID of domains, hosts, contacts               → registrars (RDE_DOMAIN|HOST|CONTACT_HAS_INVALID_CLID)
 *   crRr, upRr, reRr, acRr                         → registrars (SR_REGISTRAR_REFERENCE_MISSING)
 *   idnTableId of domains and NNDNs                → IDN tables (RDE_IDN_OBJECT_MISSING)
 *   the same registrar/contact id, host name, domain name or IDN table twice (SR_DUPLICATE_OBJECT)
 *
 * The deposit is read by the typed reader (src/reader) from the encrypted spool. Memory stays
 * bounded whatever the size: with a catalog the definitions and references stream (COPY) into a
 * temporary table of the catalog database and an anti-join finds the dangling ones; without
 * one they are held in memory up to MAX_IN_MEMORY entries, beyond which the stage is NOT RUN.
 *
 * A DIFF's references may resolve to objects of earlier deposits of the chain: that needs the
 * chain's object index, not built yet, so for DIFF/INCR deposits the stage is NOT RUN (reported,
 * not blocking).
 */
import { isStrongroomError, messageOf } from '../../common/errors.js';
import type { RdeObject } from '../../model/objects.js';
import { readDeposit } from '../../reader/index.js';
import type { CheckStage, StageFinding } from './stage.js';

type RefKind = 'registrar' | 'contact' | 'host' | 'domain' | 'idn';

interface RefRow {
  role: 'd' | 'u';
  kind: RefKind;
  id: string;
  /** The referring object (for uses) or the object itself (for definitions). */
  obj: string;
  field: string;
}

/** References and definitions held in memory without a catalog. */
export const MAX_IN_MEMORY = 2_000_000;
/** Dangling references and duplicates reported one by one (per rule); more are counted. */
const MAX_LISTED = 1000;

function* rowsOf(object: RdeObject): Generator<RefRow> {
  const use = (kind: RefKind, id: string | undefined, obj: string, field: string): RefRow[] => (id === undefined ? [] : [{ role: 'u', kind, id, obj, field }]);
  switch (object.kind) {
    case 'registrar':
      yield { role: 'd', kind: 'registrar', id: object.value.id, obj: `registrar ${object.value.id}`, field: 'id' };
      return;
    case 'idnTable':
      yield { role: 'd', kind: 'idn', id: object.value.id, obj: `idnTableRef ${object.value.id}`, field: 'id' };
      return;
    case 'nndn':
      yield* use('idn', object.value.idnTableId, `NNDN ${object.value.aName}`, 'idnTableId');
      return;
    case 'contact': {
      const c = object.value;
      const obj = `contact ${c.id}`;
      yield { role: 'd', kind: 'contact', id: c.id, obj, field: 'id' };
      yield* use('registrar', c.clID, obj, 'clID');
      yield* use('registrar', c.crRr?.id, obj, 'crRr');
      yield* use('registrar', c.upRr?.id, obj, 'upRr');
      yield* use('registrar', c.trnData?.reRr.id, obj, 'reRr');
      yield* use('registrar', c.trnData?.acRr.id, obj, 'acRr');
      return;
    }
    case 'host': {
      const h = object.value;
      const obj = `host ${h.name}`;
      yield { role: 'd', kind: 'host', id: h.name.toLowerCase(), obj, field: 'name' };
      yield* use('registrar', h.clID, obj, 'clID');
      yield* use('registrar', h.crRr?.id, obj, 'crRr');
      yield* use('registrar', h.upRr?.id, obj, 'upRr');
      return;
    }
    case 'domain': {
      const d = object.value;
      const obj = `domain ${d.name}`;
      yield { role: 'd', kind: 'domain', id: d.name.toLowerCase(), obj, field: 'name' };
      yield* use('contact', d.registrant, obj, 'registrant');
      for (const contact of d.contact) yield* use('contact', contact.id, obj, `contact type=${contact.type}`);
      if (d.ns && 'hostObj' in d.ns) for (const host of d.ns.hostObj) yield* use('host', host.toLowerCase(), obj, 'hostObj');
      yield* use('registrar', d.clID, obj, 'clID');
      yield* use('registrar', d.crRr?.id, obj, 'crRr');
      yield* use('registrar', d.upRr?.id, obj, 'upRr');
      yield* use('registrar', d.trnData?.reRr.id, obj, 'reRr');
      yield* use('registrar', d.trnData?.acRr.id, obj, 'acRr');
      yield* use('idn', d.idnTableId, obj, 'idnTableId');
      return;
    }
    default:
      return;
  }
}

function danglingFinding(row: { kind: RefKind; id: string; obj: string; field: string }): StageFinding {
  const owner = row.obj.split(' ')[0]!;
  let code: string;
  if (row.kind === 'registrar' && row.field === 'clID') code = `RDE_${owner === 'domain' ? 'DOMAIN' : owner === 'host' ? 'HOST' : 'CONTACT'}_HAS_INVALID_CLID`;
  else if (row.kind === 'registrar') code = 'SR_REGISTRAR_REFERENCE_MISSING';
  else if (row.kind === 'contact' && row.field === 'registrant') code = 'RDE_DOMAIN_HAS_INVALID_REGISTRANT';
  else if (row.kind === 'contact') code = 'SR_DOMAIN_CONTACT_MISSING';
  else if (row.kind === 'host') code = 'SR_DOMAIN_HOST_MISSING';
  else code = 'RDE_IDN_OBJECT_MISSING';
  return { code, severity: 'error', object: row.obj.slice(owner.length + 1), message: `${row.obj}: ${row.field} "${row.id}" names no ${row.kind === 'idn' ? 'IDN table' : row.kind} in the deposit` };
}

function copyField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function referencesStage(): CheckStage {
  return {
    id: 'references',
    title: 'References resolve and objects are unique (rde-07…rde-10)',
    kind: 'semantic',
    needs: ['plaintext', 'summary'],
    async run(ctx, emit) {
      if (ctx.summary!.type !== 'FULL') return { notRun: `the references of a ${ctx.summary!.type ?? '?'} deposit resolve across the chain, which is not indexed yet`, blocking: false };
      const file = String(ctx.facts.xmlName ?? ctx.input.key);
      async function* rows(): AsyncGenerator<RefRow> {
        for await (const event of readDeposit(ctx.plaintext!(), { file })) {
          if (event.type === 'object') yield* rowsOf(event.object);
        }
      }
      let dangling: Array<{ kind: RefKind; id: string; obj: string; field: string }>;
      let danglingTotal: number;
      let duplicates: Array<{ kind: RefKind; id: string; n: number }>;
      try {
        if (ctx.catalog) {
          ({ dangling, danglingTotal, duplicates } = await ctx.catalog.db.transaction(async (tx) => {
            await tx.exec(`CREATE TEMP TABLE agent_refs (role "char" NOT NULL, kind text NOT NULL, id text COLLATE "C" NOT NULL, obj text NOT NULL, field text NOT NULL) ON COMMIT DROP`);
            await tx.copyFrom(
              'COPY agent_refs (role, kind, id, obj, field) FROM STDIN',
              (async function* () {
                for await (const row of rows()) yield `${row.role}\t${row.kind}\t${copyField(row.id)}\t${copyField(row.obj)}\t${copyField(row.field)}\n`;
              })(),
            );
            await tx.exec('CREATE INDEX ON agent_refs (kind, id) WHERE role = \'d\'; ANALYZE agent_refs');
            const missing = `FROM agent_refs u WHERE u.role = 'u' AND NOT EXISTS (SELECT 1 FROM agent_refs d WHERE d.role = 'd' AND d.kind = u.kind AND d.id = u.id)`;
            const listed = await tx.query<{ kind: RefKind; id: string; obj: string; field: string }>(`SELECT u.kind, u.id, u.obj, u.field ${missing} ORDER BY u.kind, u.id, u.obj, u.field LIMIT ${MAX_LISTED}`);
            const total = await tx.query<{ n: number }>(`SELECT count(*)::int AS n ${missing}`);
            const twice = await tx.query<{ kind: RefKind; id: string; n: number }>(
              `SELECT kind, id, count(*)::int AS n FROM agent_refs WHERE role = 'd' GROUP BY kind, id HAVING count(*) > 1 ORDER BY kind, id LIMIT ${MAX_LISTED}`,
            );
            return { dangling: listed, danglingTotal: total[0]?.n ?? 0, duplicates: twice };
          }));
        } else {
          const defined = new Map<string, number>();
          const uses: RefRow[] = [];
          for await (const row of rows()) {
            if (defined.size + uses.length >= MAX_IN_MEMORY) return { notRun: `more than ${MAX_IN_MEMORY} objects and references: give a catalog (--repo/--db) so they spill to the database` };
            if (row.role === 'd') defined.set(`${row.kind}\0${row.id}`, (defined.get(`${row.kind}\0${row.id}`) ?? 0) + 1);
            else uses.push(row);
          }
          const all = uses.filter((row) => !defined.has(`${row.kind}\0${row.id}`)).sort((a, b) => (a.kind + a.id + a.obj + a.field < b.kind + b.id + b.obj + b.field ? -1 : 1));
          dangling = all.slice(0, MAX_LISTED);
          danglingTotal = all.length;
          duplicates = [...defined]
            .filter(([, n]) => n > 1)
            .map(([key, n]) => ({ kind: key.split('\0')[0] as RefKind, id: key.split('\0')[1]!, n }))
            .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1))
            .slice(0, MAX_LISTED);
        }
      } catch (err) {
        if (isStrongroomError(err) && err.code.startsWith('READER_')) return { notRun: `the typed reader refused the deposit: ${messageOf(err)}` };
        throw err;
      }
      for (const row of dangling) emit(danglingFinding(row));
      if (danglingTotal > dangling.length) emit({ code: 'SR_REFERENCE_MISSING', severity: 'error', message: `${danglingTotal - dangling.length} more dangling reference(s) not listed` });
      for (const row of duplicates) emit({ code: 'SR_DUPLICATE_OBJECT', severity: 'error', object: row.id, message: `${row.kind === 'idn' ? 'IDN table' : row.kind} "${row.id}" appears ${row.n} times in the deposit` });
    },
  };
}
