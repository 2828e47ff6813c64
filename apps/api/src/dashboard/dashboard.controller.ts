import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { defaultMunicipalityDirectory, type Municipality } from '@app/domain';
import { Public } from '../auth/auth.decorators';
import { problem } from '../http/problem';
import { APP_CONFIG, type AppConfig } from '@app/platform';

/** What a served file is, and where its bytes come from: a file, or built once from the reference data or the settings. */
type Asset = { readonly type: string } & ({ readonly path: string } | { readonly build: () => string });

/** Beside this file in the sources, and copied beside the compiled file by the build (nest-cli.json `assets`). */
const OWN = join(__dirname, 'assets');
/** Chart.js's browser build, from node_modules (its package exports only the module builds; the UMD file sits beside them). */
const CHART_JS = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
/** oidc-client-ts's browser build (the global `oidc`), beside its package's main file. */
const OIDC_CLIENT = join(dirname(require.resolve('oidc-client-ts')), '..', 'browser', 'oidc-client-ts.min.js');
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

/** Temporary protection started on 4 March 2022: no statistic counts a municipality gone before. */
const PROTECTION_START = '2022-03-04';

/**
 * The municipalities the drill-down offers: every NIS code of Flanders and Brussels valid on some
 * day since temporary protection started, with its latest name and its province (null: Brussels),
 * and `until` for the codes merged away in 2025 (statistics keep the code a dossier was
 * registered under).
 */
export function drillDownMunicipalities(): Array<{ nis: string; name: string; province: string | null; until: string | null }> {
  const latest = new Map<string, Municipality>();
  for (const municipality of defaultMunicipalityDirectory.all()) {
    if (municipality.validTo !== null && municipality.validTo < PROTECTION_START) continue;
    const known = latest.get(municipality.nis);
    if (!known || municipality.validFrom > known.validFrom) latest.set(municipality.nis, municipality);
  }
  return [...latest.values()]
    .map((m) => ({ nis: m.nis, name: m.name, province: m.province?.nis ?? null, until: m.validTo }))
    .sort((a, b) => a.name.localeCompare(b.name, 'nl') || a.nis.localeCompare(b.nis));
}

/** How the page signs in: with the OIDC provider when one is configured, else with a pasted token. */
export function dashboardSettings(config: AppConfig) {
  const oidc = config.auth.oidc;
  return oidc ? { signIn: 'oidc' as const, oidc: { issuer: oidc.issuer, clientId: oidc.clientId, scope: oidc.scope } } : { signIn: 'token' as const };
}

/**
 * The analysts' dashboard: one static page, its script and style, Chart.js, oidc-client-ts, the
 * municipalities of the drill-down and how to sign in. None of it holds data or secrets (the
 * client id of a public client is not one), so it needs no token; the page gets one (from the
 * provider, or pasted) and calls /statistics/* with it, so every figure it shows is what the API
 * gives that user, suppression included.
 */
@ApiTags('dashboard')
@Public()
@SkipThrottle()
@Controller('dashboard')
export class DashboardController {
  /** Every file the page loads; nothing else is served from here. */
  private readonly assets: ReadonlyMap<string, Asset>;
  private readonly page: Asset = { path: join(OWN, 'index.html'), type: 'text/html; charset=utf-8' };
  private readonly contents = new Map<Asset, Buffer>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.assets = new Map<string, Asset>([
      ['dashboard.js', { path: join(OWN, 'dashboard.js'), type: JAVASCRIPT }],
      ['dashboard.css', { path: join(OWN, 'dashboard.css'), type: 'text/css; charset=utf-8' }],
      ['chart.umd.min.js', { path: CHART_JS, type: JAVASCRIPT }],
      ['oidc-client-ts.min.js', { path: OIDC_CLIENT, type: JAVASCRIPT }],
      ['municipalities.json', { build: () => JSON.stringify(drillDownMunicipalities()), type: JSON_TYPE }],
      ['settings.json', { build: () => JSON.stringify(dashboardSettings(config)), type: JSON_TYPE }],
    ]);
  }

  @Get()
  @ApiOperation({
    summary: "The analysts' dashboard: funnel, stock over time, flows, outlook, per province or municipality; Dutch or English",
    description:
      'A static page (no data, no token needed to load it). It signs in with the OIDC provider (AUTH_OIDC_ISSUER) or asks for a ' +
      "pasted bearer token (analyst, staff or admin), keeps it in the tab's sessionStorage, and draws every chart from " +
      'GET /statistics/* with it; suppressed cells show as suppressed, and each chart downloads as CSV from the API. Its script, ' +
      'style and libraries are served under /dashboard/assets/.',
  })
  @ApiOkResponse({ description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  index(@Res() response: Response): void {
    this.send(response, this.page);
  }

  @Get('assets/:file')
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Res() response: Response): void {
    const asset = this.assets.get(file);
    if (!asset) throw problem(404, 'not-found', 'Not found', 'No such file of the dashboard.');
    this.send(response, asset);
  }

  private send(response: Response, asset: Asset): void {
    let body = this.contents.get(asset);
    if (!body) this.contents.set(asset, (body = 'path' in asset ? readFileSync(asset.path) : Buffer.from(asset.build())));
    response.setHeader('Cache-Control', 'no-cache');
    response.type(asset.type).send(body);
  }
}
