import { ReadModelSchema1732492800000 } from './1732492800000-read-model-schema';
import { ProjectionOwner1733184000000 } from './1733184000000-projection-owner';
import { ProjectionSafeForms1733356800000 } from './1733356800000-projection-safe-forms';

/** The engine's own tables in the read_models schema: checkpoints (with owners) and safe forms. */
export const PROJECTION_ENGINE_MIGRATIONS: Function[] = [ReadModelSchema1732492800000, ProjectionOwner1733184000000, ProjectionSafeForms1733356800000];
