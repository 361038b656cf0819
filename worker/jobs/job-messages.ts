/**
 * The queue's messages. A `list` message lists one page of a prefix and sends that page's
 * `classify` messages and the next `list`; a `classify` message names one shard and its keys.
 * Both are idempotent: a page's plan is written once and reused, a shard's name is fixed.
 */

/** List page `page` of a job's prefix, after `cursor`. */
export interface ListMessage {
  kind: 'list';
  job: string;
  page: number;
  cursor?: string;
}

/** Classify `keys` into shard `shard`. */
export interface ClassifyMessage {
  kind: 'classify';
  job: string;
  shard: string;
  keys: string[];
}

export type JobMessage = ListMessage | ClassifyMessage;

/** A listed page as written to `jobs/{id}/pages/`: its shards and where the next page starts. */
export interface PagePlan {
  page: number;
  shards: Array<{ shard: string; keys: string[] }>;
  /** Cursor of the next page; absent on the last. */
  next?: string;
}

/** Whether `value` is a message this version understands. */
export function isJobMessage(value: unknown): value is JobMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Record<string, unknown>;
  if (typeof message.job !== 'string') return false;
  if (message.kind === 'list') return typeof message.page === 'number';
  return message.kind === 'classify' && typeof message.shard === 'string' && Array.isArray(message.keys);
}

// Queues accepts at most 100 messages and 256 KB per sendBatch call.
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 200_000;

/** `messages` cut into groups that one sendBatch call accepts. */
export function sendGroups(messages: readonly JobMessage[]): JobMessage[][] {
  const groups: JobMessage[][] = [];
  let group: JobMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = JSON.stringify(message).length + 100;
    if (group.length > 0 && (group.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(message);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Sending to a Cloudflare queue: `messages` in as few sendBatch calls as Queues accepts. */
export function queueSender(queue: Queue<unknown>): (messages: readonly JobMessage[]) => Promise<void> {
  return async (messages) => {
    for (const group of sendGroups(messages)) {
      await queue.sendBatch(group.map((body) => ({ body, contentType: 'json' as const })));
    }
  };
}
