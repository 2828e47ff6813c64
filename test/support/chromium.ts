import { existsSync } from 'node:fs';

/** Where Debian, Ubuntu and Google's packages put the browser. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/**
 * The Chromium the browser tests drive (playwright-core, which never downloads one): CHROMIUM_PATH
 * when set, else the first of the usual paths that exists. `missing` says why there is none.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  const chosen = env.CHROMIUM_PATH;
  if (chosen) return existsSync(chosen) ? { path: chosen } : { missing: `CHROMIUM_PATH=${chosen} does not exist` };
  const found = CANDIDATES.find((path) => existsSync(path));
  return found
    ? { path: found }
    : { missing: `no Chromium at ${CANDIDATES.join(', ')}; install one (Debian: apt-get install chromium) or set CHROMIUM_PATH` };
}

/** REQUIRE_BROWSER_TESTS=1 (CI): a missing browser fails the browser tests instead of skipping them. */
export const browserTestsRequired = (env: NodeJS.ProcessEnv = process.env): boolean => env.REQUIRE_BROWSER_TESTS === '1';
