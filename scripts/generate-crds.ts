// Writes the CRDs generated from src/api into crds/ and the Helm chart's crds/ (`npm run generate`).
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdToYaml, generateCrds } from '../src/crd/generate.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const CRD_DIRS = ['crds', join('charts', 'latchkey', 'crds')];

const generated = generateCrds();
const names = new Set(generated.map((g) => g.fileName));

for (const dir of CRD_DIRS.map((d) => join(root, d))) {
  await mkdir(dir, { recursive: true });
  // A kind that was renamed or removed must not leave its old CRD behind.
  for (const stale of (await readdir(dir)).filter((f) => f.endsWith('.latchkey.dev.yaml') && !names.has(f))) {
    await rm(join(dir, stale));
  }
  for (const { fileName, crd } of generated) await writeFile(join(dir, fileName), crdToYaml(crd));
}
console.log(`wrote ${generated.length} CRDs to ${CRD_DIRS.join(' and ')}`);
