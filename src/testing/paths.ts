/**
 * Paths tests use. The official schemas and samples are test oracles read from ../shared
 * (next to the project root); they are never copied into the project.
 */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/** The project root (compiled code lives in dist/src/testing). */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const SHARED_DIR = resolve(process.env.STRONGROOM_SHARED_DIR ?? resolve(PROJECT_ROOT, '..', 'shared'));
export const RDE_SCHEMA = resolve(SHARED_DIR, 'rde/schemas/all-rde-deposit.xsd');
export const REPORT_SCHEMA = resolve(SHARED_DIR, 'rde/report-schemas/all-reports.xsd');
export const SAMPLES_DIR = resolve(SHARED_DIR, 'rde/samples');
export const CLI = resolve(PROJECT_ROOT, 'bin/strongroom.js');
