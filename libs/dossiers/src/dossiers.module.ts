import { Module } from '@nestjs/common';
import { ReadModelsModule } from '@app/read-models';
import { CrtImporter } from './crt-import/crt-importer';
import { DossierRepository } from './dossier-repository';
import { DossierWriter } from './dossier-writer';
import { ErasePersonalDataHandler } from './erasure/erase-personal-data.handler';
import { ErasureCompletion } from './erasure/erasure-completion';
import { ChangeDossierHandler, RegisterDossierHandler } from './handlers';
import { NationalRegisterReservations } from './national-register-reservations';

/**
 * The write side in a Nest process: the command handlers (on the CommandBus of CqrsModule.forRoot,
 * which the host imports), the writer, the repository, the reservations, the erasure and its
 * completion, and the CRT importer. Needs the runtime's providers (EVENT_STORE, DataSource,
 * APP_CONFIG, CLOCK, PersonalDataProtection) from a global module of the host; the erasure
 * completion reads the archive index (ReadModelsModule).
 */
@Module({
  imports: [ReadModelsModule],
  providers: [
    DossierRepository,
    DossierWriter,
    NationalRegisterReservations,
    RegisterDossierHandler,
    ChangeDossierHandler,
    ErasePersonalDataHandler,
    ErasureCompletion,
    CrtImporter,
  ],
  exports: [DossierRepository, NationalRegisterReservations, ErasureCompletion, CrtImporter],
})
export class DossiersModule {}
