import { Module } from '@nestjs/common';
import { CLI_COMMANDS } from './commands';
import { ServiceContext } from './service-context';

@Module({ providers: [ServiceContext, ...CLI_COMMANDS] })
export class CliModule {}
