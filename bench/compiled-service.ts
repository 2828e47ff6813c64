import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..');
/** Where `nest build api` (npm start's build) puts the API and the libs it uses. */
const API_BUILD = join(root, 'dist/apps/api');
/** The bench's own files for its children, compiled beside that build (wiped by the next build, written again by the next run). */
const OUT = join(API_BUILD, 'bench');

/**
 * A child process of the bench as production runs the API: the code `nest build api` left in
 * dist/ (built first when a source changed since, as `npm start` does), in plain Node.js. Run
 * through ts-node instead, the service would carry the TypeScript compiler and a source map of
 * every file: about 85 MiB more heap, 100 MiB more resident memory, and the longer garbage
 * collections that go with a larger heap, none of which a deployed service has (nor should the
 * query client, whose collections pause the loop that times the answers).
 *
 * The bench's own entry (service-process.ts, query-client-process.ts) and the files of bench/ it
 * imports are compiled here with the project's compiler options, its `@app/*` imports pointed at
 * the build. Returns the entry's path in dist/.
 */
export function compiledBenchEntry(entry: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildIfStale } = require(join(root, 'scripts/build-if-stale.js')) as { buildIfStale: (root: string) => boolean };
  buildIfStale(root);
  const { compilerOptions } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config as { compilerOptions: object };
  const options = ts.convertCompilerOptionsFromJson(compilerOptions, root).options;
  for (const file of benchImports(entry)) {
    const source = readFileSync(join(__dirname, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { ...options, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false, declaration: false },
    });
    const out = join(OUT, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText.replace(/require\("@app\/([^/"]+)(\/[^"]*)?"\)/g, (_, lib: string, rest = '') => `require("${libPath(out, lib, rest)}")`));
  }
  return join(OUT, entry.replace(/\.ts$/, '.js'));
}

/**
 * `entry` and the files of bench/ it imports, directly or not (relative to bench/): what
 * compiledBenchEntry compiles. Imports outside bench/ (the API's own files) are the build's.
 */
export function benchImports(entry: string): string[] {
  const found = new Set<string>();
  const visit = (file: string) => {
    if (found.has(file)) return;
    found.add(file);
    for (const { fileName } of ts.preProcessFile(readFileSync(join(__dirname, file), 'utf8'), true, false).importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const imported = relative(__dirname, join(__dirname, dirname(file), `${fileName}.ts`));
      if (!imported.startsWith('..')) visit(imported);
    }
  };
  visit(entry);
  return [...found];
}

function libPath(from: string, lib: string, rest: string): string {
  const path = relative(dirname(from), join(API_BUILD, 'libs', lib, 'src', rest));
  return path.startsWith('.') ? path : `./${path}`;
}
