/** README.md and every docs/*.md of the repository at `root`. */
export function documentFiles(root: string): string[];
/** Replace the block `name` with `content`; returns the file it was in. */
export function writeMarkedBlock(root: string, name: string, content: string): string;
