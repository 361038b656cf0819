/** What job work uses: the platform's job host, and the service whose engine, gate and resources it shares. */
import type { Service } from '../service/service.js';
import type { JobHost } from './job-host.js';

/** Everything job work uses. */
export interface JobContext {
  host: JobHost;
  service: Service;
}
