import { relative } from 'node:path';
import { Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';
import { CLI_COMMANDS } from './commands';
import { ServiceContext } from './service-context';

/** How the command line was started, as its help should show it: `npm run cli --`, or the script node ran. */
export function programName(env: NodeJS.ProcessEnv = process.env, script: string = process.argv[1] ?? 'main.js'): string {
  return env.npm_lifecycle_event === 'cli' ? 'npm run cli --' : `node ${relative(process.cwd(), script)}`;
}

/** Names the program in its help (commander would say "main", after main.js). */
@Injectable()
class ProgramName implements OnModuleInit {
  constructor(@InjectCommander() private readonly program: { name(name: string): unknown; description(text: string): unknown }) {}

  onModuleInit(): void {
    this.program.name(programName());
    this.program.description('The temporary-protection dossiers service on the command line: tokens, demo data, CRT imports, read models, the archive');
  }
}

@Module({ providers: [ServiceContext, ProgramName, ...CLI_COMMANDS] })
export class CliModule {}
