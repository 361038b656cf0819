/**
 * Ledger storage in a file (Node): what keeps a job's state, page records and shard records
 * across restarts of the server. A log, `jobs/{id}/ledger.jsonl`: every `put` appends one line
 * holding all its entries, and reading the file back applies the lines in order. One line per
 * put is what makes a put atomic: the ledger writes a shard's record and the counters it changes
 * in one put, and a line cut short by a crash (no newline after it) is dropped on reading, so the
 * shard is then neither recorded nor counted and is done again. Rewriting one JSON file per put,
 * as sdk/store/file.node.ts does per key, would copy every shard's record on every shard.
 *
 * The log is compacted (rewritten as one line, to a temporary file renamed into place) when it is
 * four times larger than what it holds. Values are served from memory after the first read: one
 * process owns a job's file (one Node server per data folder). Lines reach the operating system
 * before a put resolves, so a killed process loses nothing; there is no fsync per put, so a power
 * cut may lose the last puts, which the watchdog then re-does as above.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LedgerStorage } from './job-ledger.js';

/** Compact once the log is this many bytes, and four times what it holds. */
const COMPACT_AFTER_BYTES = 256 * 1024;

/** Ledger storage in the log file `file` (created on the first put). */
export function fileLedgerStorage(file: string): LedgerStorage {
  const values = new Map<string, string>(); // key → the value's JSON
  let liveBytes = 0;
  let fileBytes = 0;
  let loaded: Promise<void> | undefined;

  const set = (key: string, json: string) => {
    liveBytes += json.length - (values.get(key)?.length ?? 0);
    values.set(key, json);
  };

  async function compact(): Promise<void> {
    const line = `{${[...values].map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(',')}}\n`;
    const temporary = join(dirname(file), `.ledger.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, line);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    fileBytes = Buffer.byteLength(line);
  }

  async function load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    fileBytes = Buffer.byteLength(text);
    const lines = text.split('\n');
    // The last element is what follows the final newline: empty, or a line cut short.
    const torn = lines.pop() !== '';
    for (const [index, line] of lines.entries()) {
      let entries: Record<string, unknown>;
      try {
        entries = JSON.parse(line) as Record<string, unknown>;
      } catch (cause) {
        throw new Error(`the job ledger ${file} is corrupt at line ${index + 1}`, { cause });
      }
      for (const [key, value] of Object.entries(entries)) set(key, JSON.stringify(value));
    }
    // Appending after a cut line would glue the next line to it: rewrite without it.
    if (torn) await compact();
  }

  const ready = () => {
    loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    });
    return loaded;
  };

  return {
    async get<T>(key: string) {
      await ready();
      const json = values.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as T);
    },
    async put(entries) {
      await ready();
      const encoded = Object.entries(entries).map(([key, value]) => [key, JSON.stringify(value)] as const);
      const line = `{${encoded.map(([key, json]) => `${JSON.stringify(key)}:${json}`).join(',')}}\n`;
      if (fileBytes === 0) await mkdir(dirname(file), { recursive: true });
      await appendFile(file, line);
      fileBytes += Buffer.byteLength(line);
      for (const [key, json] of encoded) set(key, json);
      if (fileBytes > COMPACT_AFTER_BYTES && fileBytes > 4 * liveBytes) await compact();
    },
  };
}
