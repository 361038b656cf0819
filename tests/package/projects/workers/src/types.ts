// The Workers entry points typed from the package's .d.ts with @cloudflare/workers-types (tsc,
// skipLibCheck off): the platform's KVNamespace, R2Bucket and Ai are what descry's stores and
// Workers AI source accept.
import { Descry } from 'descry';
import { workersAISource } from 'descry/llm';
import emojiClip from 'descry/models/emoji-clip';
import { KvStore, R2Store } from 'descry/store';
import { createWorker, JobCoordinator, type WorkerBindings } from 'descry/worker';

type Env = WorkerBindings & { KV: KVNamespace; BUCKET: R2Bucket; AI: Ai };
const worker = createWorker({ embeddedModel: emojiClip });

export default {
  async fetch(request, env, ctx) {
    const stores = [new KvStore(env.KV), new R2Store(env.BUCKET)];
    const llm = workersAISource({ binding: env.AI, model: '@cf/meta/llama-3.1-8b-instruct' });
    const descry = await Descry.load(emojiClip);
    if (stores.length === 0) return new Response(`${llm.id} ${descry.info.id}`);
    return worker.fetch!(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
export { JobCoordinator };
