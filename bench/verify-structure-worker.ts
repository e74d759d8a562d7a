/**
 * Child process of bench/verify-structure.ts: checks one deposit XML with Strongroom's
 * structure checker, or only tokenizes it with Strongroom's byte-level scanner (the floor of the
 * checker) or with saxes (the parser it replaced), in a fresh process, and reports wall time,
 * findings and peak RSS. Both parse-only modes decode every text, as a consumer would. `read`
 * runs the deposit reader (src/reader: typed objects, what rebuild consumes) over the file.
 *
 *   node dist/bench/verify-structure-worker.js check|scan|parse|read <deposit.xml>
 */
import { createReadStream } from 'node:fs';
import { SaxesParser } from 'saxes';
import { checkStructure } from '../src/agent/structure/checker.js';
import { XmlScanner } from '../src/common/xml-scan.js';
import { readDeposit } from '../src/reader/index.js';

const [mode, file] = process.argv.slice(2);
const started = process.hrtime.bigint();
let errors = 0;
let elements = 0;
if (mode === 'check') {
  const result = await checkStructure(createReadStream(file!, { highWaterMark: 1 << 20 }));
  errors = result.errors;
  elements = result.elements;
} else if (mode === 'scan') {
  let chars = 0;
  const scanner = new XmlScanner({
    open: () => void elements++,
    text: (s) => void (chars += s.text().length),
    error: (err) => {
      throw new Error(`${err.line}:${err.column}: ${err.message}`);
    },
  });
  for await (const chunk of createReadStream(file!, { highWaterMark: 1 << 20 })) scanner.write(chunk as Buffer);
  scanner.end();
} else if (mode === 'read') {
  for await (const event of readDeposit(createReadStream(file!, { highWaterMark: 1 << 20 }), { file: file! })) if (event.type === 'object') elements++;
} else if (mode === 'parse') {
  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on('opentag', () => void elements++);
  parser.on('text', () => undefined);
  parser.on('error', (err) => {
    throw err;
  });
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of createReadStream(file!, { highWaterMark: 1 << 20 })) parser.write(decoder.decode(chunk as Buffer, { stream: true }));
  parser.close();
} else throw new Error(`unknown mode ${mode}`);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ mode, seconds, errors, elements, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
