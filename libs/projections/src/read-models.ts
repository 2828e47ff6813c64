import { CrtDossier } from './crt-registry/crt-dossier.entity';
import { CrtRegistry1732579200000 } from './crt-registry/migrations/1732579200000-crt-registry';
import { ReadModelSchema1732492800000 } from './migrations/1732492800000-read-model-schema';

/**
 * Every read model's TypeORM entities and migrations, in order. A projection adds its own here
 * when it gets tables.
 */
export const READ_MODEL_ENTITIES: Function[] = [CrtDossier];

export const READ_MODEL_MIGRATIONS: Function[] = [ReadModelSchema1732492800000, CrtRegistry1732579200000];
