import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { dossierIdPipe } from '../http/dossier-id.pipe';
import { ErasePersonalDataCommand, type CommandAccepted } from '@app/dossiers';
import { answerAccepted, CommandEndpoint, commandContext, type AuthenticatedRequest } from '../dossiers/command-endpoint';
import { ErasureDto } from './erasure.dto';

@ApiTags('dossiers')
@ApiBearerAuth()
@Controller('dossiers')
export class ErasureController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':id/erasure')
  @CommandEndpoint(
    "Erase the person's personal data (irreversible)",
    ['admin'],
    "Destroys the dossier's personal-data key and records PersonalDataErased: names, birth date, national register number " +
      'and attestation number read "[erased]" everywhere from then on (dossier, history, CRT registry, archive, export); ' +
      'statistics do not change; the national register number is free to be registered again. A second erasure is 409 ' +
      '`personal-data-already-erased`. Recorded first: once PersonalDataErased is written the erasure is finished whatever happens ' +
      '(by the service itself, or by sending it again, which then answers 409); a failure before that changed nothing. See docs/erasure.md.',
  )
  @ApiBadRequestResponse({ description: 'reason missing, empty or longer than 500 characters' })
  async erase(
    @Param('id', dossierIdPipe) id: string,
    @Body() body: ErasureDto,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) response: Response,
  ): Promise<CommandAccepted> {
    // The key is destroyed after the append: a retry of an erasure that stopped there finishes it.
    const context = commandContext(request, { settledByAppend: false });
    return answerAccepted(response, await this.commandBus.execute(new ErasePersonalDataCommand(id, body.reason, context)));
  }
}
