/**
 * Labels from the command line: `--labels` is a comma-separated list, `--labels-file` a file
 * with one label per line. A `--labels` value that looks like a file name is refused instead of
 * becoming one label called "labels.txt".
 */
import { readFile } from 'node:fs/promises';
import { CliError } from './cli-error.js';

/** Options every command that takes labels accepts. */
export interface LabelOptions {
  labels?: string;
  labelsFile?: string;
}

const FILE_LIKE = /[/\\]|\.(txt|csv|tsv|json|lst|list|labels)$/i;

/** The labels the options give, or `undefined` when they give none. */
export async function readLabels(options: LabelOptions): Promise<string[] | undefined> {
  if (options.labels !== undefined && options.labelsFile !== undefined) {
    throw new CliError('give --labels or --labels-file, not both');
  }
  if (options.labelsFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.labelsFile, 'utf8');
    } catch (error) {
      const reason = (error as { code?: string }).code === 'ENOENT' ? 'no such file' : String(error);
      throw new CliError(`--labels-file ${options.labelsFile}: ${reason}`);
    }
    return nonEmpty(text.split(/\r?\n/), `--labels-file ${options.labelsFile}`);
  }
  if (options.labels === undefined) return undefined;
  const value = options.labels;
  if (!value.includes(',') && FILE_LIKE.test(value.trim())) {
    throw new CliError(
      `--labels takes a comma-separated list, and "${value}" looks like a file name: use --labels-file ${value}`,
    );
  }
  return nonEmpty(value.split(','), '--labels');
}

/** The labels, or a CliError when the options give none. */
export async function requireLabels(options: LabelOptions): Promise<string[]> {
  const labels = await readLabels(options);
  if (labels === undefined) throw new CliError('give --labels "a,b,c" or --labels-file <file>');
  return labels;
}

function nonEmpty(raw: string[], where: string): string[] {
  const labels = raw.map((label) => label.trim()).filter(Boolean);
  if (labels.length === 0) throw new CliError(`${where}: no labels`);
  return labels;
}
