import type { Role } from '../../libs/platform/src';

/**
 * Who may call what: the documented contract, swept by test/role-matrix.e2e.spec.ts and
 * published in the README between the role-matrix markers (the spec checks they agree).
 */
export interface MatrixEntry {
  readonly method: 'GET' | 'POST' | 'PUT';
  /** OpenAPI path; {id} is a dossier, {nis} a municipality, {name} a projection, {runId} an archive run, {slug} a problem type. */
  readonly path: string;
  /** 'public': no token needed. */
  readonly roles: readonly Role[] | 'public';
}

const COMMANDS = ['housed', 'rehoused', 'inburgering-enrolled', 'vdab-registered', 'employment-started', 'employment-ended', 'left', 'reopened', 'status-changed'];
const staffAndAdmin: Role[] = ['staff', 'admin'];
const personalDataReaders: Role[] = ['staff', 'admin', 'auditor'];
const statisticsReaders: Role[] = ['analyst', 'staff', 'admin'];

export const ROLE_MATRIX: readonly MatrixEntry[] = [
  { method: 'POST', path: '/dossiers', roles: staffAndAdmin },
  ...COMMANDS.map((command): MatrixEntry => ({ method: 'POST', path: `/dossiers/{id}/${command}`, roles: staffAndAdmin })),
  { method: 'POST', path: '/dossiers/{id}/erasure', roles: ['admin'] },
  { method: 'GET', path: '/dossiers', roles: personalDataReaders },
  { method: 'GET', path: '/dossiers/{id}', roles: personalDataReaders },
  { method: 'GET', path: '/dossiers/{id}/history', roles: personalDataReaders },
  { method: 'GET', path: '/dossiers/{id}/diff', roles: personalDataReaders },
  { method: 'GET', path: '/dossiers/{id}/verify', roles: ['auditor', 'admin'] },
  { method: 'GET', path: '/municipalities/{nis}/summary', roles: personalDataReaders },
  { method: 'GET', path: '/statistics/stock', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/stock-over-time', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/flows', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/funnel', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/outlook', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/vdab', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/revisions', roles: statisticsReaders },
  { method: 'GET', path: '/statistics/settings', roles: ['admin'] },
  { method: 'PUT', path: '/statistics/settings', roles: ['admin'] },
  { method: 'GET', path: '/projections', roles: ['admin'] },
  { method: 'POST', path: '/projections/{name}/rebuild', roles: ['admin'] },
  { method: 'POST', path: '/archive/runs', roles: ['admin'] },
  { method: 'GET', path: '/archive/runs', roles: ['admin', 'auditor'] },
  { method: 'GET', path: '/archive/runs/{runId}', roles: ['admin', 'auditor'] },
  { method: 'GET', path: '/archive/dossiers', roles: ['staff', 'auditor'] },
  { method: 'GET', path: '/archive/dossiers/{id}', roles: ['staff', 'auditor'] },
  { method: 'GET', path: '/archive/export', roles: ['admin'] },
  { method: 'POST', path: '/archive/purge', roles: ['admin'] },
  { method: 'GET', path: '/audit/access-log', roles: ['auditor'] },
  { method: 'GET', path: '/health/live', roles: 'public' },
  { method: 'GET', path: '/health/ready', roles: 'public' },
  { method: 'GET', path: '/metrics', roles: 'public' },
  { method: 'GET', path: '/dashboard', roles: 'public' },
  { method: 'GET', path: '/problems/{slug}', roles: 'public' },
];

export const MATRIX_ROLES: readonly Role[] = ['staff', 'analyst', 'auditor', 'admin'];

/** The README's table: one row per endpoint, one column per role; no token, expired, wrongly signed or unsigned tokens get 401 everywhere but on public endpoints. */
export function renderRoleMatrix(): string {
  const header = `| endpoint | ${MATRIX_ROLES.join(' | ')} | no token |`;
  const rule = `|---|${MATRIX_ROLES.map(() => '---').join('|')}|---|`;
  const rows = ROLE_MATRIX.map(({ method, path, roles }) => {
    const cells = MATRIX_ROLES.map((role) => (roles === 'public' || roles.includes(role) ? 'yes' : '403'));
    return `| \`${method} ${path}\` | ${cells.join(' | ')} | ${roles === 'public' ? 'yes' : '401'} |`;
  });
  return [header, rule, ...rows].join('\n');
}
