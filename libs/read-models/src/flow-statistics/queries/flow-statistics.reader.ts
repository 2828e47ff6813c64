import { Inject, Injectable, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { flowsIn, type FlowsView, type FlowUnit } from './flows';
import { funnelOf, hideDerived, type FunnelQuestion, type FunnelView } from './funnel';
import type { GroupBy } from './groups';
import { OUTLOOK_LINES, outlookAt, type GivenRates, type OutlookView } from './outlook';
import type { Interval, Period } from './periods';
import type { Place } from './place';
import { incompleteOn, recorded, type AnswerBasis, type Recorded, type RecordedAsOf, type RecordedThrough } from './recorded';
import { revisionsOf, type RevisionQuestion, type RevisionsView } from './revisions';
import { readSettings, updateSettings, type SettingsView } from './settings';
import { StatisticsCache } from './statistics-cache';
import { STOCK_LINES, stockOn, type StockOverTimeView, type StockView } from './stock';
import type { Suppressed } from './suppression';
import { breakdownLines, marginsOf, suppressAcross, type Table } from './tables';
import { vdabCounts, vdabOn, withShares, type VdabPoint, type VdabPopulation, type VdabView } from './vdab';

/** The funnel's counts add up across groups; its rates and waits derive from them. */
const FUNNEL_COUNTS = /\.(count|reachedAtAll)$/;

/** The flows with how far their data reaches, each period flagged. */
export type FlowsRecorded = Omit<FlowsView, 'periods'> & Recorded & { periods: Array<FlowsView['periods'][number] & { incomplete: boolean }> };
/** The stock over time with how far its data reaches, each point flagged. */
export type StockOverTimeRecorded = Omit<StockOverTimeView, 'points'> & Recorded & { points: Array<StockOverTimeView['points'][number] & { incomplete: boolean }> };

/** Counts each statistics answer by where it came from (the host's metrics); optional. */
export const STATISTICS_ANSWER_COUNTER = Symbol('STATISTICS_ANSWER_COUNTER');
export type StatisticsAnswerCounter = (source: 'cache' | 'computed') => void;

/**
 * Reads the flow-statistics read model, one question a file (stock.ts, flows.ts, funnel.ts,
 * outlook.ts); every number goes through suppression on its way out. Answers are kept until the
 * read model or the threshold changes (statistics-cache.ts).
 */
@Injectable()
export class FlowStatisticsReader {
  private readonly cache: StatisticsCache;

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(STATISTICS_ANSWER_COUNTER) count?: StatisticsAnswerCounter,
  ) {
    this.cache = new StatisticsCache(dataSource, count ?? (() => undefined));
  }

  settings(): Promise<SettingsView> {
    return readSettings(this.dataSource);
  }

  updateSettings(suppressBelow: number, actor: string): Promise<SettingsView> {
    return updateSettings(this.dataSource, suppressBelow, actor);
  }

  /**
   * An answer with its secondary suppression across groups when grouped by the person (tables.ts):
   * its margins are the answers one dimension coarser, asked of this reader (so cached alike),
   * under the same threshold (asked again should an admin change it meanwhile). `compute` is
   * given the threshold of the version's basis (statistics-cache.ts) at first, and none when asked
   * again: the threshold then is read anew, the one the margins were answered under.
   */
  private async acrossGroups<V extends { suppressBelow: number }>(
    groupBy: GroupBy,
    basis: AnswerBasis | null,
    compute: (threshold: number | undefined) => Promise<Suppressed<V>>,
    marginOf: (groupBy: GroupBy) => Promise<V>,
    tablesOf: (view: V) => Table[],
    additive?: (path: string) => boolean,
  ): Promise<V> {
    const margins = marginsOf(groupBy);
    for (let threshold = basis?.suppressBelow; ; threshold = undefined) {
      const { view, unsuppressed } = await compute(threshold);
      if (margins.length === 0) return view;
      const answers: V[] = [];
      for (const margin of margins) answers.push(await marginOf(margin.groupBy));
      if (answers.some((answer) => answer.suppressBelow !== view.suppressBelow)) continue;
      const raw = tablesOf(unsuppressed());
      const theirs = answers.map(tablesOf);
      tablesOf(view).forEach((table, index) =>
        suppressAcross(table, raw[index], margins.map(({ dimension }, m) => ({ dimension, parts: theirs[m][index]?.parts ?? [] })), additive),
      );
      return view;
    }
  }

  /** `at`, here and in every question: the answer as the events recorded by that moment give it (recorded.ts); null: now. */
  stock(asOf: string, groupBy: GroupBy, place: Place, at: RecordedAsOf = null): Promise<StockView & RecordedThrough> {
    return this.cache.answer(`stock|${asOf}|${groupBy}|${place.map}|${place.by}|${at ?? ''}`, async (basis) => {
      // The read model's last business date read while the answer is computed (flows.ts's flowsIn), unless the basis has it.
      const [view, through] = await Promise.all([
        this.acrossGroups(
          groupBy,
          basis,
          (threshold) => stockOn(this.dataSource, asOf, groupBy, place, at, false, threshold),
          (margin) => this.stock(asOf, margin, place, at),
          (answer) => [{ parts: answer.groups.map((group) => ({ group: group.group, body: group })), within: STOCK_LINES }],
        ),
        recorded(this.dataSource, at, basis),
      ]);
      return { ...view, ...through, incomplete: incompleteOn(asOf, through) };
    });
  }

  /**
   * The stock on the last day of each of `periods` (those of from, to and interval, periods.ts),
   * each point the stock statistic itself. All under one threshold: asked again if an admin
   * changed it half-way.
   */
  async stockOverTime(from: string, to: string, interval: Interval, groupBy: GroupBy, periods: Period[], place: Place, at: RecordedAsOf = null): Promise<StockOverTimeRecorded> {
    for (;;) {
      const stocks: Array<StockView & RecordedThrough> = [];
      for (const period of periods) stocks.push(await this.stock(period.end, groupBy, place, at));
      const suppressBelow = stocks[0]?.suppressBelow ?? (await this.settings()).suppressBelow;
      const through = stocks.at(-1) ?? (await recorded(this.dataSource, at));
      if (stocks.every((stock) => stock.suppressBelow === suppressBelow && stock.lastBusinessDate === through.lastBusinessDate)) {
        const points = stocks.map(({ asOf, incomplete, groups }) => ({ asOf, incomplete, groups }));
        return { from, to, interval, groupBy, map: place.map, by: place.by, suppressBelow, lastBusinessDate: through.lastBusinessDate, recordedAsOf: at, points };
      }
    }
  }

  /** `periods` are those of from, to and interval (periods.ts). */
  flows(from: string, to: string, interval: Interval, groupBy: GroupBy, periods: Period[], unit: FlowUnit, place: Place, at: RecordedAsOf = null): Promise<FlowsRecorded> {
    return this.cache.answer(`flows|${from}|${to}|${interval}|${groupBy}|${unit}|${place.map}|${place.by}|${at ?? ''}`, async (basis) => {
      // The read model's last business date read while the answer is computed (flows.ts's flowsIn), unless the basis has it.
      const [view, through] = await Promise.all([
        this.acrossGroups(
          groupBy,
          basis,
          (threshold) => flowsIn(this.dataSource, from, to, interval, groupBy, periods, unit, place, at, threshold),
          (margin) => this.flows(from, to, interval, margin, periods, unit, place, at),
          (answer) =>
            answer.periods.map((period) => ({
              parts: period.groups.map((group) => ({ group: group.group, body: group })),
              within: period.groups.length > 0 ? breakdownLines(period.groups[0]) : [],
            })),
        ),
        recorded(this.dataSource, at, basis),
      ]);
      const { periods: answered, ...rest } = view;
      return { ...rest, ...through, periods: answered.map((period) => ({ ...period, incomplete: incompleteOn(period.end, through) })) };
    });
  }

  /** The funnel of a question (funnelOf), its groups' secondary suppression across groups. */
  funnel(question: FunnelQuestion): Promise<FunnelView & RecordedThrough> {
    const { asOf, cohortStart, cohortEnd, residenceStatus, groupBy, place, recordedAsOf: at = null } = question;
    return this.cache.answer(`funnel|${asOf}|${cohortStart ?? ''}|${cohortEnd ?? ''}|${residenceStatus ?? ''}|${groupBy}|${place.map}|${place.by}|${at ?? ''}`, async (basis) => {
      // The read model's last business date read while the answer is computed (flows.ts's flowsIn), unless the basis has it.
      const [view, through] = await Promise.all([
        this.acrossGroups(
          groupBy,
          basis,
          (threshold) => funnelOf(this.dataSource, question, false, threshold),
          (margin) => this.funnel({ ...question, groupBy: margin }),
          (answer) => [
            {
              // Without groupBy, the whole cohort is the one part (the margin of a funnel grouped by one dimension).
              parts: answer.groupBy === 'none' ? [{ group: null, body: { steps: answer.steps } }] : answer.groups.map((group) => ({ group: group.group, body: { steps: group.steps } })),
              within: [],
            },
          ],
          (path) => FUNNEL_COUNTS.test(path),
        ),
        recorded(this.dataSource, at, basis),
      ]);
      for (const group of view.groups) hideDerived(group.steps);
      return { ...view, ...through, incomplete: incompleteOn(asOf, through) };
    });
  }

  /**
   * VDAB's pair on `on`, or at the end of each of `periods` (those of from, to and interval,
   * periods.ts): `range` says which was asked. Grouped by the person, each point's groups are a
   * table across groups (its counts; the shares follow them).
   */
  vdab(
    on: string | Period[],
    range: { from: string; to: string; interval: Interval } | null,
    population: VdabPopulation,
    groupBy: GroupBy,
    place: Place,
    at: RecordedAsOf = null,
  ): Promise<VdabView & Recorded & { points: Array<VdabPoint & { incomplete: boolean }> }> {
    const dates = typeof on === 'string' ? [on] : on.map((period) => period.end);
    const asked = range ? { on: null, ...range } : { on: dates[0], from: null, to: null, interval: null };
    return this.cache.answer(`vdab|${range ? `${range.from}|${range.to}|${range.interval}` : 'on'}|${dates.join(',')}|${population}|${groupBy}|${place.map}|${place.by}|${at ?? ''}`, async (basis) => {
      // The read model's last business date read while the answer is computed (flows.ts's flowsIn), unless the basis has it.
      const [view, through] = await Promise.all([
        this.acrossGroups(
          groupBy,
          basis,
          (threshold) => vdabOn(this.dataSource, dates, population, groupBy, place, at, false, threshold),
          (margin) => this.vdab(on, range, population, margin, place, at),
          (answer) =>
            answer.points.map((point) => ({
              // Without groupBy, the whole population is the one part (the margin of an answer grouped by one dimension).
              parts: answer.groupBy === 'none' ? [{ group: null, body: vdabCounts(point.total) }] : point.groups.map((group) => ({ group: group.group, body: vdabCounts(group) })),
              within: [],
            })),
        ),
        recorded(this.dataSource, at, basis),
      ]);
      for (const point of view.points) for (const group of point.groups) withShares(group);
      const points = view.points.map((point) => ({ on: point.on, incomplete: incompleteOn(point.on, through), total: point.total, groups: point.groups }));
      return { ...asked, population: view.population, groupBy: view.groupBy, map: view.map, by: view.by, suppressBelow: view.suppressBelow, ...through, points };
    });
  }

  /**
   * The cells of a question's answer that differ as recorded at `from` and at `to` (revisions.ts);
   * `answer` gives the question's answer as recorded at a moment. Both answers under one
   * threshold: asked again if an admin changed it half-way.
   */
  async revisions(
    question: RevisionQuestion,
    from: string,
    to: string,
    groupBy: GroupBy,
    place: Place,
    parameters: Record<string, unknown>,
    answer: (at: string) => Promise<{ suppressBelow: number }>,
  ): Promise<RevisionsView> {
    for (;;) {
      const [before, after] = [await answer(from), await answer(to)];
      if (before.suppressBelow !== after.suppressBelow) continue;
      const answers = { before, after, suppressBelow: after.suppressBelow };
      const { changes, lateEvents, suppressBelow } = await revisionsOf(this.dataSource, question, from, to, groupBy, place, answers);
      return { question, from, to, parameters, suppressBelow, changes, lateEvents };
    }
  }

  /** `given` rates replace the trailing ones observed (outlook.ts). */
  outlook(endDates: readonly string[], today: string, groupBy: GroupBy, place: Place, given: GivenRates, at: RecordedAsOf = null): Promise<OutlookView> {
    const rates = [given.arrivals, given.departures, given.transitions].map((rate) => rate ?? '').join(',');
    return this.cache.answer(`outlook|${today}|${endDates.join(',')}|${groupBy}|${place.map}|${place.by}|${rates}|${at ?? ''}`, (basis) =>
      this.acrossGroups(
        groupBy,
        basis,
        (threshold) => outlookAt(this.dataSource, endDates, today, groupBy, place, given, at, (key, compute) => this.cache.part(key, compute), threshold),
        (margin) => this.outlook(endDates, today, margin, place, given, at),
        (answer) => answer.scenarios.map((scenario) => ({ parts: scenario.groups.map((group) => ({ group: group.group, body: group })), within: OUTLOOK_LINES })),
      ),
    );
  }
}
