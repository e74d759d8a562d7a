/**
 * Load and validate the configuration file. Every problem is reported at once, each with the
 * file, line and column of the offending key or value and its path, e.g.
 *   strongroom.yaml:12:9 registries.example.destinations.agent.kind: expected one of directory|sftp|s3
 *
 * The file is found from --config, else $STRONGROOM_CONFIG, else ./strongroom.yaml.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { StrongroomError, messageOf } from '../common/errors.js';
import { configSchema, type StrongroomConfig } from './schema.js';

export interface LoadedConfig {
  config: StrongroomConfig;
  /** Absolute path of the file; relative paths inside resolve from its directory. */
  path: string;
  baseDir: string;
  /** Line:column of a setting, for messages that point back into the file. */
  where(path: Array<string | number>): string;
}

export function configPath(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(explicit ?? env.STRONGROOM_CONFIG ?? 'strongroom.yaml');
}

export async function loadConfig(explicit?: string): Promise<LoadedConfig> {
  const path = configPath(explicit);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new StrongroomError('CONFIG_NOT_FOUND', `cannot read the configuration file ${path}: ${messageOf(err)} (give --config <file> or set STRONGROOM_CONFIG)`, { location: path });
  }
  return parseConfig(text, path);
}

/** Parse configuration text; `path` is used in messages and as the base of relative paths. */
export function parseConfig(text: string, path: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return `${path}`;
    const { line, col } = lineCounter.linePos(offset);
    return `${path}:${line}:${col}`;
  };
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((error) => `${at(error.pos[0])} ${error.message.split('\n')[0]}`);
    throw new StrongroomError('CONFIG_INVALID', `the configuration is not valid YAML:\n${lines.join('\n')}`, { location: path, data: { problems: lines } });
  }
  /** The node at a path, and for a missing key the closest existing parent. */
  const locate = (keys: PropertyKey[], key?: string): string => {
    let node: unknown = doc.contents;
    let offset: number | undefined = (doc.contents as Node | null)?.range?.[0];
    for (const part of keys) {
      if (!isMap(node) && !(node && typeof node === 'object' && 'items' in node)) break;
      const collection = node as { items: unknown[] };
      const next = isMap(node)
        ? collection.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part))
        : collection.items[Number(part)];
      if (next === undefined) break;
      if (isPair(next)) {
        // Point at the key of a section, at the value of a scalar setting.
        offset = (next.key as Node).range?.[0] ?? offset;
        node = next.value;
        if (isScalar(node) && node.range) offset = node.range[0];
      } else {
        node = next;
        offset = (next as Node).range?.[0] ?? offset;
      }
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === key);
      if (pair && isPair(pair)) offset = (pair.key as Node).range?.[0] ?? offset;
    }
    return at(offset);
  };
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const problems: string[] = [];
    for (const issue of result.error.issues as z.core.$ZodIssue[]) {
      const dotted = issue.path.map(String).join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push(`${locate(issue.path, key)} ${[...issue.path.map(String), key].join('.')}: unknown key "${key}"`);
      } else {
        problems.push(`${locate(issue.path)} ${dotted}: ${issue.message}`);
      }
    }
    throw new StrongroomError('CONFIG_INVALID', `the configuration has ${problems.length} problem(s):\n${problems.join('\n')}`, { location: path, data: { problems } });
  }
  return { config: result.data, path, baseDir: dirname(path), where: (keys) => locate(keys) };
}
