/**
 * The Node server's in-process queue keeps the delivery contract of Cloudflare Queues: every
 * message delivered until it succeeds, failures retried with exponential backoff and recorded,
 * and dead-lettered after the last attempt. The backoff schedule is the one the Worker uses.
 */
import { describe, expect, it } from 'vitest';
import { inProcessQueue } from '../../worker/jobs/in-process-queue.js';
import { readJobConfig, retryDelay } from '../../worker/jobs/job-config.js';
import type { JobConsumer } from '../../worker/jobs/job-consumer.js';
import type { JobMessage } from '../../worker/jobs/job-messages.js';

const message = (shard: string): JobMessage => ({ kind: 'classify', job: 'job_x', shard, keys: [shard] });

describe('job configuration', () => {
  it('backs off exponentially from the configured delay, capped at 15 minutes', () => {
    const config = readJobConfig({ DESCRY_JOB_RETRY_DELAY_SECONDS: '5' });
    expect([1, 2, 3, 4, 5].map((attempts) => retryDelay(config, attempts))).toEqual([5, 10, 20, 40, 80]);
    expect(retryDelay(config, 20)).toBe(900);
  });

  it('reads bucket names (Workers) and name=folder pairs (Node), and refuses malformed numbers', () => {
    expect([...readJobConfig({}).buckets]).toEqual([['IMAGES', undefined]]);
    expect([...readJobConfig({ DESCRY_JOB_BUCKETS: 'IMAGES=/srv/a=b, OTHER' }).buckets]).toEqual([
      ['IMAGES', '/srv/a=b'],
      ['OTHER', undefined],
    ]);
    expect(() => readJobConfig({ DESCRY_JOB_MAX_KEYS: 'lots' })).toThrow(/DESCRY_JOB_MAX_KEYS/);
  });
});

describe('the in-process queue', () => {
  it('retries failures, records each, and dead-letters after the last attempt', async () => {
    const config = readJobConfig({ DESCRY_JOB_RETRY_DELAY_SECONDS: '0', DESCRY_JOB_MAX_ATTEMPTS: '3' });
    const queue = inProcessQueue(config);
    const delivered: string[] = [];
    const failures: string[] = [];
    const deadLetters: string[] = [];
    const consumer: JobConsumer = {
      async deliver(m) {
        if (m.kind !== 'classify') return;
        delivered.push(m.shard);
        // "flaky" succeeds on its second delivery; "broken" never does.
        if (
          m.shard === 'broken' ||
          (m.shard === 'flaky' && delivered.filter((s) => s === 'flaky').length < 2)
        ) {
          throw new Error(`${m.shard} failed`);
        }
      },
      async failed(m, error) {
        failures.push(`${m.kind === 'classify' ? m.shard : ''}: ${(error as Error).message}`);
      },
      async deadLetter(m) {
        if (m.kind === 'classify') deadLetters.push(m.shard);
      },
    };
    queue.consume(consumer);
    await queue.enqueue([message('ok'), message('flaky'), message('broken')]);
    await queue.idle();
    expect(delivered.filter((s) => s === 'ok')).toHaveLength(1);
    expect(delivered.filter((s) => s === 'flaky')).toHaveLength(2);
    expect(delivered.filter((s) => s === 'broken')).toHaveLength(3);
    expect(failures).toEqual([
      'flaky: flaky failed',
      'broken: broken failed',
      'broken: broken failed',
      'broken: broken failed',
    ]);
    expect(deadLetters).toEqual(['broken']);
    queue.close();
    await expect(queue.enqueue([message('late')])).rejects.toThrow(/closed/);
  });
});
