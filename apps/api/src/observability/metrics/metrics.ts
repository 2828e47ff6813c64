import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, in a registry of its own (several app instances in one
 * process, as in the tests, keep theirs apart). Labels never carry ids or personal data: routes
 * are templates (`/dossiers/:id`), commands are names.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status, and how long they took',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly commands = new Counter({
    name: 'dossier_commands_total',
    help: 'Commands by name and outcome: accepted (2xx), rejected (4xx: rules, validation, versions), failed (5xx)',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly appendedEvents = new Counter({
    name: 'event_store_appended_events_total',
    help: 'Events appended to the event store',
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'event_store_append_duration_seconds',
    help: 'How long appends to the event store took',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  readonly eventStoreErrors = new Counter({
    name: 'event_store_errors_total',
    help: 'Event store calls that failed, by operation and kind (unavailable, wrong-expected-version, duplicate-event-id, other)',
    labelNames: ['operation', 'kind'] as const,
    registers: [this.registry],
  });

  readonly statisticsAnswers = new Counter({
    name: 'statistics_answers_total',
    help: 'Statistics answers by source: computed from the read model, or kept from an identical question since it last changed',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Projection gauges, read when Prometheus scrapes (one read shared by the gauges of a scrape), not on every event. */
  observeProjections(read: () => Promise<ProjectionSnapshot[]>): void {
    let pending: { at: number; snapshot: Promise<ProjectionSnapshot[]> } | undefined;
    const snapshot = () => {
      if (!pending || Date.now() - pending.at > 1000) pending = { at: Date.now(), snapshot: read() };
      return pending.snapshot;
    };
    const gauge = (name: string, help: string, value: (projection: ProjectionSnapshot) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['projection'] as const,
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const projection of await snapshot().catch(() => [])) {
            const measured = value(projection);
            if (measured !== undefined) this.set({ projection: projection.name }, measured);
          }
        },
      });
    gauge('projection_position', 'Commit position each projection has applied', (p) => Number(p.position));
    gauge('projection_lag_events', 'Events of its streams a projection has not applied yet (counted up to 10,000)', (p) => p.lagEvents);
    gauge('projection_lag_seconds', 'Age of the oldest event a projection has not applied yet', (p) => p.lagSeconds);
    gauge('projection_up', '1 while an instance runs the projection (live or catching up), 0 when it stopped at a poisoned event or nobody runs it (standby)', (p) => (p.state === 'stopped' || p.state === 'standby' ? 0 : 1));
    gauge(
      'projection_stopped_event_position',
      'Commit position of the event a stopped projection stopped at (GET /projections names the event and what failed); absent while it runs. Alert on it: a stop is a bug',
      (p) => (p.stoppedAt === null ? undefined : Number(p.stoppedAt)),
    );
    gauge(
      'projection_safe_form_events',
      'Events a projection stored in a safe form (values PostgreSQL cannot store) or left out (events it cannot read); GET /projections lists them',
      (p) => p.safeFormEvents,
    );
  }
}

export interface ProjectionSnapshot {
  readonly name: string;
  readonly state: string;
  readonly position: string;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  /** Commit position of the event it stopped at; null unless stopped. */
  readonly stoppedAt: string | null;
  readonly safeFormEvents: number;
}
