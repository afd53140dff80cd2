import { gauge, ScrapeSources } from './registry';

interface BacklogSource {
  schema: string;
  backlog(): Promise<{ pending: number; oldestAt: Date | null }>;
}
const outboxes = new ScrapeSources<BacklogSource>();

async function backlogs(): Promise<{ schema: string; pending: number; oldestAt: Date | null }[]> {
  const read = await Promise.allSettled(outboxes.all().map(async (o) => ({ schema: o.schema, ...(await o.backlog()) })));
  return read.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
}

gauge<'schema'>({
  name: 'evcs_outbox_pending_messages',
  help: 'Outbox rows not yet published to Kafka, by schema (read from the database at each scrape)',
  labelNames: ['schema'],
  async collect() {
    this.reset();
    for (const b of await backlogs()) this.set({ schema: b.schema }, b.pending);
  },
});
gauge<'schema'>({
  name: 'evcs_outbox_oldest_pending_age_seconds',
  help: 'Age of the oldest outbox row not yet published (0 when none), by schema',
  labelNames: ['schema'],
  async collect() {
    this.reset();
    for (const b of await backlogs()) this.set({ schema: b.schema }, b.oldestAt ? Math.max(0, (Date.now() - b.oldestAt.getTime()) / 1000) : 0);
  },
});

/** The outbox's backlog is read at every scrape until the returned function is called. */
export function observeOutbox(outbox: BacklogSource): () => void {
  return outboxes.add(outbox);
}
