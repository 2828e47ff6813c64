import { PersonalDataKeys1733097600000 } from './1733097600000-personal-data-keys';
import { PersonalDataKeyErasedNotice1733529600090 } from './1733529600090-personal-data-key-erased-notice';

/** The per-dossier keys table, public.personal_data_keys, and the notice of every key erased. */
export const PERSONAL_DATA_MIGRATIONS: Function[] = [PersonalDataKeys1733097600000, PersonalDataKeyErasedNotice1733529600090];
