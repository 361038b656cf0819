/**
 * Cloudflare Queues in front of the job consumer: the `queue()` handler of the Worker. Messages
 * of one batch are handled one after another (the work is CPU-bound); each is acknowledged on
 * success, or retried with exponential backoff after its failure is recorded. Batches from the
 * dead-letter queue are accounted for as failed shards.
 */

import type { JobConfig } from './job-config.js';
import { retryDelay } from './job-config.js';
import type { JobConsumer } from './job-consumer.js';
import { isJobMessage } from './job-messages.js';

/** Handle one batch delivered to the Worker. */
export async function consumeQueueBatch(
  batch: MessageBatch<unknown>,
  consumer: JobConsumer,
  config: JobConfig,
): Promise<void> {
  const deadLetters = batch.queue === config.deadLetterQueue;
  for (const message of batch.messages) {
    const body = message.body;
    if (!isJobMessage(body)) {
      // Retrying cannot make it readable: drop it, loudly.
      console.error(`[descry] dropping an unreadable message ${message.id} from ${batch.queue}`);
      message.ack();
      continue;
    }
    try {
      if (deadLetters) await consumer.deadLetter(body);
      else await consumer.deliver(body);
      message.ack();
    } catch (error) {
      console.error(`[descry] job ${body.job}: delivery ${message.attempts} of ${message.id} failed`, error);
      await consumer.failed(body, error).catch(() => undefined);
      message.retry({ delaySeconds: retryDelay(config, message.attempts) });
    }
  }
}
