import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { problem } from '../http/problem';
import { loadProblemPages, renderProblemPage } from './problem-pages';

/**
 * The `type` of every problem this API answers is a path under /problems/, so a client (or a
 * person reading a log) can follow it to what it means. Public: it explains, it holds no data.
 */
@ApiTags('problems')
@Public()
@SkipThrottle()
@Controller('problems')
export class ProblemsController {
  /** Read once: a missing docs/errors.md stops the service at start rather than answering 404 for every type. */
  private readonly pages = new Map([...loadProblemPages()].map(([slug, page]) => [slug, renderProblemPage(page)]));

  @Get(':slug')
  @ApiOperation({
    summary: 'What a problem type means and when it is answered (the `type` of an error answer resolves here)',
    description: 'An HTML page from docs/errors.md, the list of every problem type.',
  })
  @ApiParam({ name: 'slug', example: 'version-mismatch', description: 'The last segment of the problem `type`' })
  @ApiOkResponse({ description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiNotFoundResponse({ description: 'No problem type of that name' })
  page(@Param('slug') slug: string, @Res() response: Response): void {
    const page = this.pages.get(slug);
    if (!page) throw problem(404, 'not-found', 'Not found', 'No problem type of that name; docs/errors.md lists them all.');
    response.setHeader('Cache-Control', 'public, max-age=3600');
    response.type('text/html; charset=utf-8').send(page);
  }
}
