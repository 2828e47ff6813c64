export { applyDeltas, copyDeltas, Deltas, type CountTable } from './delta';
export {
  DATE_COUNTS,
  DATE_COUNT_LEVELS,
  dateCountDeltas,
  noDateCountDeltas,
  dateCountsOn,
  STAT_DATE_COUNTS_TABLE,
  storedDossierRows,
  addDateCountChanges,
  funnelWaitStatistic,
  WAIT_BAND_DAYS,
  waitBand,
  vdabMeasure,
  type DossierTableRows,
  type DateCount,
  type DateCountLevel,
  type DateStatistic,
} from './date-counts';
