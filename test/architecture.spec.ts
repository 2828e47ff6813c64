import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/**
 * Where code may reach (docs/architecture.md, "Rooms"), read from the import lines of every
 * TypeScript file in the repository, tracked or new:
 * - no lib imports apps/, the root test/, bench/ or scripts/; only a lib's specs may use tools/
 *   (the EventStoreDB test server);
 * - no cycle between libs (specs and testing entry points included);
 * - outside a lib, its files are reached only through its face (libs/<lib>/src/index.ts,
 *   `@app/<lib>`) or an entry point its index.ts names as `@app/<lib>/<entry>`, by alias or by
 *   relative path alike;
 * - no HTTP below the controllers: no problem(), ProblemError or HttpException in a lib (specs aside);
 * - the domain imports no framework and no database client, and (its testing entry aside) no
 *   package and no other lib.
 */

const ROOT = join(__dirname, '..');
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '' && !file.startsWith('node_modules/') && existsSync(join(ROOT, file)));
const source = (file: string) => readFileSync(join(ROOT, file), 'utf8');

const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
const specifiers = (text: string) => [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2] ?? match[3]);

/**
 * The lib a path of the repository is in, and the path inside its src/ ('' for the index); a
 * path in the lib but outside src/ keeps its `../` so that no index can name it.
 */
function inLib(path: string): { lib: string; entry: string } | undefined {
  const match = /^libs\/([^/]+)\/src(?:\/(.*?))?(?:\/index)?(?:\.ts)?$/.exec(path);
  if (match) return { lib: match[1], entry: match[2] ?? '' };
  const outside = /^libs\/([^/]+)\/(.+)$/.exec(path);
  return outside ? { lib: outside[1], entry: `../${outside[2]}` } : undefined;
}

/** What an import names: a lib and an entry in it, or a path of the repository, or a package (undefined). */
function target(file: string, specifier: string): { lib: string; entry: string } | { path: string } | undefined {
  const alias = /^@app\/([^/]+)(?:\/(.*))?$/.exec(specifier);
  if (alias) return { lib: alias[1], entry: alias[2] ?? '' };
  if (!specifier.startsWith('.')) return undefined;
  const path = normalize(join(dirname(file), specifier));
  return inLib(path) ?? { path };
}

const libOf = (file: string) => /^libs\/([^/]+)\//.exec(file)?.[1];

/** The entry points a lib's index.ts names besides its face: `@app/<lib>/<entry>` in its text. */
const documentedEntries = new Map<string, Set<string>>();
function entriesOf(lib: string): Set<string> {
  let entries = documentedEntries.get(lib);
  if (!entries) {
    const index = join('libs', lib, 'src', 'index.ts');
    const text = existsSync(join(ROOT, index)) ? source(index) : '';
    entries = new Set([...text.matchAll(new RegExp(`\`@app/${lib}/([\\w/-]+)\``, 'g'))].map((match) => match[1]));
    documentedEntries.set(lib, entries);
  }
  return entries;
}

const imports = files.flatMap((file) => specifiers(source(file)).map((specifier) => ({ file, specifier, to: target(file, specifier) })));

describe('architecture', () => {
  it('reads the import lines it checks', () => {
    expect(files.length).toBeGreaterThan(200);
    expect(imports.filter(({ to }) => to && 'lib' in to).length).toBeGreaterThan(300);
  });

  it('no lib imports apps/, the root test/, bench/ or scripts/, nor tools/ but in its specs', () => {
    const outward = imports.filter(
      ({ file, to }) =>
        libOf(file) && to && 'path' in to && (/^(apps|test|bench|scripts)\//.test(to.path) || (/^tools\//.test(to.path) && !file.endsWith('.spec.ts'))),
    );
    expect(outward.map(({ file, specifier }) => `${file}: ${specifier}`)).toEqual([]);
  });

  it('no lib is reached past its face, but for the entry points its index.ts names', () => {
    const past = imports.filter(({ file, to }) => to && 'lib' in to && to.lib !== libOf(file) && to.entry !== '' && !entriesOf(to.lib).has(to.entry));
    expect(past.map(({ file, specifier }) => `${file}: ${specifier}`)).toEqual([]);
  });

  it('no cycle between libs', () => {
    const edges = new Map<string, Set<string>>();
    for (const { file, to } of imports) {
      const from = libOf(file);
      if (!from || !to || !('lib' in to) || to.lib === from) continue;
      edges.set(from, (edges.get(from) ?? new Set()).add(to.lib));
    }
    // Each cycle once, written from its first lib in alphabetical order.
    const cycles = new Set<string>();
    const visit = (lib: string, path: string[]) => {
      if (path.includes(lib)) {
        const cycle = path.slice(path.indexOf(lib));
        const first = cycle.indexOf([...cycle].sort()[0]);
        const rotated = [...cycle.slice(first), ...cycle.slice(0, first)];
        cycles.add([...rotated, rotated[0]].join(' → '));
        return;
      }
      for (const next of edges.get(lib) ?? []) visit(next, [...path, lib]);
    };
    for (const lib of edges.keys()) visit(lib, []);
    expect([...cycles]).toEqual([]);
    expect(edges.size).toBeGreaterThan(5);
  });

  it('no HTTP below the controllers: no problem(), ProblemError or HttpException in a lib', () => {
    const http = files.filter((file) => libOf(file) && !file.endsWith('.spec.ts') && /\b(problem\(|ProblemError|HttpException)/.test(source(file)));
    expect(http).toEqual([]);
  });

  it('the domain imports no framework and no database client', () => {
    const impure = imports.filter(
      ({ file, specifier }) => libOf(file) === 'domain' && /^(@nestjs\/|typeorm|pg($|\/|-)|@eventstore\/|@kurrent|express|reflect-metadata)/.test(specifier),
    );
    expect(impure.map(({ file, specifier }) => `${file}: ${specifier}`)).toEqual([]);
  });

  it('the domain imports no package and no other lib (its testing entry aside)', () => {
    const impure = imports.filter(
      ({ file, specifier }) => libOf(file) === 'domain' && !file.includes('/testing/') && !specifier.startsWith('.') && !specifier.startsWith('node:'),
    );
    expect(impure.map(({ file, specifier }) => `${file}: ${specifier}`)).toEqual([]);
  });
});
