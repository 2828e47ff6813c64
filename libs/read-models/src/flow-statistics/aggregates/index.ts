export { applyDeltas, copyDeltas, Deltas, type CountTable } from './delta';
export {
  DATE_COUNTS,
  DATE_COUNT_LEVELS,
  dateCountDeltas,
  noDateCountDeltas,
  dateCountsOn,
  STAT_DATE_COUNTS_TABLE,
  storedDossierRows,
  DateCountContributions,
  funnelWaitStatistic,
  WAIT_BAND_DAYS,
  waitBand,
  vdabMeasure,
  type CurrentPeriod,
  type DossierRows,
  type DateCount,
  type DateCountLevel,
  type DateStatistic,
} from './date-counts';
export { poolOf, sentWithCallback, type CallbackQueryable } from './rows-as-text';
