/** Rule slugs are a public contract: clients and translations key on them. */
export const DOSSIER_RULES = [
  'dossier-already-registered',
  'person-has-left',
  'dossier-archived',
  'personal-data-already-erased',
  'left-after-cutoff',
  'already-housed',
  'not-housed',
  'already-employed',
  'not-employed',
  'not-left',
  'already-registered-at-vdab',
  'already-enrolled-in-inburgering',
  'already-has-residence-status',
  'invalid-date',
  'date-in-future',
  'birth-date-not-in-past',
  'date-before-registration',
  'date-before-current-state',
  'date-before-latest-event',
  'date-after-departure',
  'invalid-national-register-number',
  'unknown-municipality',
] as const;
export type DossierRule = (typeof DOSSIER_RULES)[number];

/** A command aimed at a dossier that was never registered. */
export class DossierNotFoundError extends Error {
  override readonly name = 'DossierNotFoundError';

  /** decide knows no id for a command on an unregistered dossier; callers that do pass it. */
  constructor(readonly dossierId?: string) {
    super(`${dossierId ? `Dossier ${dossierId}` : 'This dossier'} does not exist. Register it first, or check the dossier id.`);
  }
}

/** A command that would break a rule of the dossier; nothing was recorded. */
export class DossierRuleViolation extends Error {
  override readonly name = 'DossierRuleViolation';

  constructor(
    readonly rule: DossierRule,
    /** English, for the person who sent the command: what is wrong and what to do. */
    readonly detail: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail);
  }
}
