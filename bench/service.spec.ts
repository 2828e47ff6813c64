import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceNodeOptions } from './service';

const root = join(__dirname, '..');

describe('the service as the bench starts it', () => {
  it('gets the Node.js options npm start gives it', () => {
    expect(serviceNodeOptions('node scripts/build-if-stale.js && node --max-old-space-size=200 dist/apps/api/apps/api/src/main.js')).toEqual([
      '--max-old-space-size=200',
    ]);
    expect(serviceNodeOptions('node dist/apps/api/apps/api/src/main.js')).toEqual([]);
    expect(() => serviceNodeOptions('node dist/apps/projector/apps/projector/src/main.js')).toThrow('does not run dist/apps/api');
  });

  it("bounds V8's heap as the start scripts and the container image do, the same everywhere", () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const options = serviceNodeOptions();
    expect(options).toContainEqual(expect.stringMatching(/^--max-old-space-size=\d+$/));
    expect(serviceNodeOptions(scripts['start:prod'])).toEqual(options);
    const [cmd] = /^CMD (\[.*\])$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))!.slice(1);
    expect(JSON.parse(cmd)).toEqual(['node', ...options, 'dist/apps/api/apps/api/src/main.js']);
  });
});
