import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archivedCommit } from './machine';

const ROOT = join(__dirname, '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'buffer' });

describe('the commit a run measured', () => {
  it('is read from bench/commit.txt only where git archive wrote a commit into it', () => {
    expect(archivedCommit('0123456789abcdef0123456789abcdef01234567\n')).toBe('0123456789abcdef0123456789abcdef01234567');
    // A clone's file: the placeholder, so the repository says the commit.
    expect(archivedCommit(readFileSync(join(ROOT, 'bench', 'commit.txt'), 'utf8'))).toBeNull();
    expect(archivedCommit('')).toBeNull();
    expect(archivedCommit('0123456789abcdef')).toBeNull();
  });

  it('is written into a git archive copy of the repository (.gitattributes, export-subst)', () => {
    const head = git('rev-parse', 'HEAD').toString('utf8').trim();
    // The file as `git archive HEAD` writes it, taken out of the tar stream.
    const tar = git('archive', '--format=tar', 'HEAD', 'bench/commit.txt');
    const archived = execFileSync('tar', ['-xO'], { input: tar, encoding: 'utf8' });
    expect(archivedCommit(archived)).toBe(head);
  });
});
