import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findErrorsDocument, inlineMarkdown, parseProblemPages, renderProblemPage } from './problem-pages';

describe('problem pages from docs/errors.md', () => {
  const pages = parseProblemPages(readFileSync(findErrorsDocument(), 'utf8'));

  it('finds the document above the sources', () => {
    expect(findErrorsDocument()).toBe(join(__dirname, '..', '..', '..', '..', 'docs', 'errors.md'));
  });

  it('reads business rules as 409 and every other type with its own status', () => {
    expect(pages.get('person-has-left')).toMatchObject({ status: 409, section: 'Business rules (409)' });
    expect(pages.get('person-has-left')!.sectionIntro).toContain('reports the first one broken');
    expect(pages.get('version-mismatch')).toMatchObject({ status: 412, section: 'Other problems' });
    expect(pages.get('version-mismatch')!.when).toContain('`If-Match`');
    expect(pages.get('not-ready')!.status).toBe(503);
  });

  it('refuses a table row it cannot read, and a type listed twice', () => {
    const table = (rows: string) => `## Other problems\n\n| type | status | when |\n|---|---|---|\n${rows}`;
    expect(() => parseProblemPages(table('| `/problems/x` | soon | later |'))).toThrow(/cannot read/);
    expect(() => parseProblemPages(table('| `/problems/x` | 400 | a |\n| `/problems/x` | 400 | b |'))).toThrow(/twice/);
  });

  it('keeps an escaped pipe inside its cell', () => {
    const parsed = parseProblemPages('## Other problems\n\n| `/problems/x` | 400 | `none\\|province` |');
    expect(parsed.get('x')!.when).toBe('`none|province`');
  });

  it('renders code, emphasis and links, and escapes everything else', () => {
    expect(inlineMarkdown('`<b>` and *it* and **so** <script>alert(1)</script>')).toBe(
      '<code>&lt;b&gt;</code> and <em>it</em> and <strong>so</strong> &lt;script&gt;alert(1)&lt;/script&gt;',
    );
    expect(inlineMarkdown('see [archive.md](archive.md) or [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457)')).toBe(
      'see archive.md (docs/archive.md) or <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC 9457</a>',
    );
  });

  it('renders a page with the type, the status and when it is answered', () => {
    const html = renderProblemPage(pages.get('version-mismatch')!);
    expect(html).toContain('<h1><code>/problems/version-mismatch</code></h1>');
    expect(html).toContain('<dd>412</dd>');
    expect(html).toContain('<code>If-Match</code> names another version');
    expect(html).toContain('<html lang="en">');
  });
});
