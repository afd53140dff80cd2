import { ChargerCommand, CHARGER_COMMANDS_PARTITIONS, decodeChargerCommand, encodeChargerCommand, InvalidEventError } from '@evcs/events';
import type { EventBus, Logger, ReceivedMessage, Subscription } from '@evcs/platform';
import type { CommandOutcome, ConnectionRegistry } from '../connections/registry';
import { commandDuration } from '../metrics';
import type { BridgeStore } from '../ports';
import type { ChargerEventPublisher } from '../ports';

export interface CommandRouterOptions {
  bus: EventBus;
  publisher: ChargerEventPublisher;
  store: BridgeStore;
  /** The chargers this instance holds. */
  registry: ConnectionRegistry;
  logger: Logger;
  bridgeId: string;
  commandTopic: string;
  /** Shared by every bridge instance: each command is routed once, and offsets survive restarts. */
  groupId?: string;
  /** A registry row older than this belongs to a dead bridge. */
  connectionStaleMs: number;
  now?: () => Date;
  newId: () => string;
}

/** Topic of one bridge instance's inbox: commands other instances forward to the charger's holder. */
export function inboxTopic(commandTopic: string, bridgeId: string): string {
  return `${commandTopic}.inbox.${bridgeId.replace(/[^a-zA-Z0-9._-]/g, '_')}`.slice(0, 249);
}

/**
 * Delivers platform commands to whichever bridge instance holds the charger.
 *
 * 1. All instances consume the command topic in one shared group, so each
 *    command is routed by exactly one of them (and commands published while
 *    every bridge was down are routed after restart).
 * 2. The router executes locally if it holds the charger; otherwise it looks
 *    up bridge.charger_connections and forwards the command to the holder's
 *    inbox topic; if nobody holds it (or the holder stopped refreshing its
 *    row), the command fails with CHARGER_OFFLINE.
 * 3. Exactly one command.result per command: whoever decides first claims the
 *    command id in bridge.command_outcomes; a redelivered command finds the
 *    claim and is not sent to the charger twice.
 *
 * The offset commits once a command is routed, not when the charger answered
 * (answers take up to the command's timeout; waiting would stall the
 * partition): a bridge that dies mid-command leaves the claim without a
 * result. Documented in the README.
 */
export class CommandRouter {
  private subs: Subscription[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly now: () => Date;
  readonly inbox: string;

  constructor(private readonly opts: CommandRouterOptions) {
    this.now = opts.now ?? (() => new Date());
    this.inbox = inboxTopic(opts.commandTopic, opts.bridgeId);
  }

  async start(): Promise<void> {
    const { bus } = this.opts;
    await bus.ensureTopics([
      { topic: this.opts.commandTopic, partitions: CHARGER_COMMANDS_PARTITIONS },
      { topic: this.inbox, partitions: 1, config: { 'retention.ms': String(24 * 3600_000) } },
    ]);
    this.subs = await Promise.all([
      bus.subscribe({
        groupId: this.opts.groupId ?? `${this.opts.commandTopic}.protocol-bridge`,
        topics: [this.opts.commandTopic],
        fromBeginning: true,
        handleBatch: (messages) => this.handle(messages, 'route'),
      }),
      bus.subscribe({ groupId: `${this.inbox}.reader`, topics: [this.inbox], fromBeginning: true, handleBatch: (messages) => this.handle(messages, 'inbox') }),
    ]);
    await Promise.all(this.subs.map((s) => s.ready));
  }

  private async handle(messages: ReceivedMessage[], mode: 'route' | 'inbox'): Promise<void> {
    for (const m of messages) {
      let command: ChargerCommand;
      try {
        command = decodeChargerCommand(m.value);
      } catch (e) {
        if (!(e instanceof InvalidEventError)) throw e;
        this.opts.logger.warn({ topic: m.topic, offset: m.offset, reason: e.message, raw: e.raw?.slice(0, 2000) }, 'skipping invalid charger command');
        continue;
      }
      await this.dispatch(command, mode);
    }
  }

  /** Route one command (exposed for tests and operator injection). */
  async dispatch(command: ChargerCommand, mode: 'route' | 'inbox' = 'route'): Promise<void> {
    const { store, registry, logger } = this.opts;
    const log = logger.child({ commandId: command.id, chargerId: command.chargerId, command: command.command.type });
    if (command.expiresAt && Date.parse(command.expiresAt) < this.now().getTime()) {
      return this.decide(command, { status: 'FAILED', reason: 'EXPIRED' });
    }
    const local = registry.get(command.tenantId, command.chargerId);
    if (local) {
      if (!(await this.claim(command))) return;
      log.info('executing command');
      if (command.reportSent) {
        // Before the charger can answer: the command's sent event precedes its result on the partition.
        await this.publishSent(command, local.protocol).catch((err: unknown) => log.warn({ err }, 'could not publish command.sent'));
      }
      const end = commandDuration.startTimer({ protocol: local.protocol, command: command.command.type });
      const run = local
        .execute(command)
        .catch((err: unknown): CommandOutcome => ({ status: 'FAILED', reason: `INTERNAL: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200) }))
        .then((outcome) => {
          end({ status: outcome.status });
          return this.publishResult(command, outcome, local.protocol);
        })
        .catch((err: unknown) => log.error({ err }, 'could not publish the command result'));
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
      return;
    }
    if (mode === 'route') {
      // Held by another bridge (seen within connectionStaleMs): its command to decide. Otherwise
      // nobody holds it: offline, claimed in the same statement that looked.
      const freshSince = new Date(this.now().getTime() - this.opts.connectionStaleMs);
      const { holder, claimed } = await store.claimUnlessHeldElsewhere(command.tenantId, {
        commandId: command.id,
        chargerCode: command.chargerId,
        bridgeId: this.opts.bridgeId,
        freshSince,
      });
      if (holder && holder.seenAt >= freshSince && holder.bridgeId !== this.opts.bridgeId) {
        log.info({ holder: holder.bridgeId }, 'forwarding command to the bridge holding the charger');
        await this.opts.bus.publish(inboxTopic(this.opts.commandTopic, holder.bridgeId), [encodeChargerCommand(command)]);
        return;
      }
      if (claimed) await this.publishResult(command, { status: 'FAILED', reason: 'CHARGER_OFFLINE' }, 'BRIDGE');
      return;
    }
    await this.decide(command, { status: 'FAILED', reason: 'CHARGER_OFFLINE' });
  }

  private claim(command: ChargerCommand): Promise<boolean> {
    return this.opts.store.claimCommand(command.tenantId, { commandId: command.id, chargerCode: command.chargerId, bridgeId: this.opts.bridgeId });
  }

  private async decide(command: ChargerCommand, outcome: CommandOutcome): Promise<void> {
    if (!(await this.claim(command))) return;
    await this.publishResult(command, outcome, 'BRIDGE');
  }

  private async publishSent(command: ChargerCommand, protocol: 'OCPP16' | 'YKC'): Promise<void> {
    const at = this.now().toISOString();
    await this.opts.publisher.publish({
      id: this.opts.newId(),
      version: 1,
      tenantId: command.tenantId,
      chargerId: command.chargerId,
      occurredAt: at,
      receivedAt: at,
      source: { protocol, bridgeId: this.opts.bridgeId },
      type: 'command.sent',
      data: { commandId: command.id, command: command.command.type },
    });
  }

  private async publishResult(command: ChargerCommand, outcome: CommandOutcome, protocol: 'OCPP16' | 'YKC' | 'BRIDGE'): Promise<void> {
    const at = this.now().toISOString();
    await this.opts.publisher.publish({
      id: this.opts.newId(),
      version: 1,
      tenantId: command.tenantId,
      chargerId: command.chargerId,
      occurredAt: at,
      receivedAt: at,
      source: { protocol, bridgeId: this.opts.bridgeId },
      type: 'command.result',
      data: {
        commandId: command.id,
        command: command.command.type,
        status: outcome.status,
        ...(outcome.reason !== undefined ? { reason: outcome.reason.slice(0, 200) } : {}),
        ...(outcome.response !== undefined ? { response: outcome.response } : {}),
      },
    });
  }

  /** Stop consuming; wait for commands under way to get their results out. */
  async stop(): Promise<void> {
    await Promise.all(this.subs.map((s) => s.stop()));
    this.subs = [];
    await Promise.allSettled([...this.running]);
  }
}
