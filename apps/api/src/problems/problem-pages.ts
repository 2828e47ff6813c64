import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One problem type as docs/errors.md explains it. */
export interface ProblemPage {
  /** The last segment of `type`: `/problems/<slug>`. */
  readonly slug: string;
  readonly status: number;
  /** When it is answered (markdown, one table cell). */
  readonly when: string;
  /** The heading of its section and the paragraphs under it (markdown). */
  readonly section: string;
  readonly sectionIntro: string;
}

/** Business rules are a table of `rule`s, all answered 409; every other problem names its type and status. */
const RULES_SECTION = /^Business rules \((\d{3})\)$/;

/** Splits a markdown table row into its cells; `\|` stays inside a cell. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/**
 * The problem types of docs/errors.md, by slug. The document is the one place they are explained;
 * `GET /problems/{slug}` serves its entry, so every `type` URI of an answer resolves to it.
 */
export function parseProblemPages(markdown: string): Map<string, ProblemPage> {
  const pages = new Map<string, ProblemPage>();
  let section = '';
  let intro: string[] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    const heading = /^##\s+(.+)$/.exec(line);
    if (heading) {
      [section, intro, inTable] = [heading[1].trim(), [], false];
      continue;
    }
    if (!line.startsWith('|')) {
      if (section && !inTable) intro.push(line);
      continue;
    }
    inTable = true;
    const [first, ...rest] = cells(line);
    const code = /^`([^`]+)`$/.exec(first);
    if (!code) continue; // the header row and its rule
    const rules = RULES_SECTION.exec(section);
    const slug = rules ? code[1] : code[1].replace(/^\/problems\//, '');
    const [status, when] = rules ? [Number(rules[1]), rest[0]] : [Number(rest[0]), rest[1]];
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(slug) || !Number.isInteger(status) || when === undefined) {
      throw new Error(`docs/errors.md: cannot read the row "${line}"`);
    }
    if (pages.has(slug)) throw new Error(`docs/errors.md: ${slug} is listed twice`);
    pages.set(slug, { slug, status, when, section, sectionIntro: intro.join('\n').trim() });
  }
  return pages;
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The little markdown the entries use: `code`, *emphasis*, **strong** and links. Links to other
 * documents of docs/ are named, not linked: the service does not serve them.
 */
export function inlineMarkdown(markdown: string): string {
  return markdown
    .split(/(`[^`]*`)/)
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1) return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      return escapeHtml(part)
        .replace(/\[([^\]]+)\]\(([^)]+)\)/g, (_, text: string, target: string) =>
          /^https?:\/\//.test(target) ? `<a href="${target}">${text}</a>` : `${text} (docs/${target.replace(/^\.\//, '')})`,
        )
        .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
        .replace(/\*([^*]+)\*/g, '<em>$1</em>');
    })
    .join('');
}

const paragraphs = (markdown: string) =>
  markdown
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => `<p>${inlineMarkdown(paragraph.replace(/\s*\n\s*/g, ' '))}</p>`)
    .join('\n');

/** The page of one problem type: what it means and when it is answered, in English as docs/errors.md is. */
export function renderProblemPage(page: ProblemPage): string {
  const type = `/problems/${page.slug}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(type)}: problem type</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d2433; line-height: 1.5; }
code { background: #eef1f5; padding: 0 0.2em; border-radius: 3px; }
dt { font-weight: 600; } dd { margin: 0 0 0.8rem; }
</style>
</head>
<body>
<main>
<h1><code>${escapeHtml(type)}</code></h1>
<dl>
<dt>HTTP status</dt><dd>${page.status}</dd>
<dt>When</dt><dd>${inlineMarkdown(page.when)}</dd>
</dl>
<h2>${escapeHtml(page.section)}</h2>
${paragraphs(page.sectionIntro)}
<p>Every error of this API is <code>application/problem+json</code> (RFC 9457) with <code>type</code>, <code>title</code>,
<code>status</code>, usually <code>detail</code> (what is wrong and what to do) and <code>instance</code>.
The API is described at <a href="/docs">/docs</a>.</p>
</main>
</body>
</html>
`;
}

/**
 * docs/errors.md of this project: found from here upwards (apps/api/src/problems in the sources,
 * dist/apps/api/apps/api/src/problems when built, beside package.json in the image).
 */
export function findErrorsDocument(from: string = __dirname): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'docs', 'errors.md');
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) {
      throw new Error(`docs/errors.md not found above ${from}: the problem pages (GET /problems/{slug}) are served from it`);
    }
  }
}

export const loadProblemPages = (path: string = findErrorsDocument()) => parseProblemPages(readFileSync(path, 'utf8'));
