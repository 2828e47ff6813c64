import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { problem } from '../http/problem';

/** Where a served file lives and what it is. */
interface Asset {
  readonly path: string;
  readonly type: string;
}

/** Beside this file in the sources, and copied beside the compiled file by the build (nest-cli.json `assets`). */
const OWN = join(__dirname, 'assets');
/** Chart.js's browser build, from node_modules (its package exports only the module builds; the UMD file sits beside them). */
const CHART_JS = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');

/** Every file the page loads; nothing else is served from here. */
const ASSETS: Readonly<Record<string, Asset>> = {
  'dashboard.js': { path: join(OWN, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: join(OWN, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'chart.umd.min.js': { path: CHART_JS, type: 'text/javascript; charset=utf-8' },
};
const PAGE: Asset = { path: join(OWN, 'index.html'), type: 'text/html; charset=utf-8' };

const cache = new Map<string, Buffer>();
const contents = (asset: Asset): Buffer => {
  let body = cache.get(asset.path);
  if (!body) cache.set(asset.path, (body = readFileSync(asset.path)));
  return body;
};

/**
 * The analysts' dashboard: one static page, its script and style, and Chart.js. None of it holds
 * data or secrets, so it needs no token; the page asks for one and calls /statistics/* with it, so
 * every figure it shows is what the API gives that user, suppression included.
 */
@ApiTags('dashboard')
@Public()
@SkipThrottle()
@Controller('dashboard')
export class DashboardController {
  @Get()
  @ApiOperation({
    summary: "The analysts' dashboard: funnel, stock over time by stage, flows per month, outlook, per-province breakdown",
    description:
      'A static page (no data, no token needed to load it). It asks for a bearer token (analyst, staff or admin), keeps it in ' +
      "the tab's sessionStorage, and draws every chart from GET /statistics/* with it; suppressed cells show as suppressed. " +
      'Its script, style and Chart.js are served under /dashboard/assets/.',
  })
  @ApiOkResponse({ description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  page(@Res() response: Response): void {
    response.setHeader('Cache-Control', 'no-cache');
    response.type(PAGE.type).send(contents(PAGE));
  }

  @Get('assets/:file')
  @ApiExcludeEndpoint()
  asset(@Param('file') file: string, @Res() response: Response): void {
    const asset = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!asset) throw problem(404, 'not-found', 'Not found', 'No such file of the dashboard.');
    response.setHeader('Cache-Control', 'no-cache');
    response.type(asset.type).send(contents(asset));
  }
}
