import { PersonalDataKeys1733097600000 } from './1733097600000-personal-data-keys';

/** The per-dossier keys table, public.personal_data_keys. */
export const PERSONAL_DATA_MIGRATIONS: Function[] = [PersonalDataKeys1733097600000];
