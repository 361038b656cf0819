/** Types of build-web.mjs, for the TypeScript that imports it (tests, benches). */
export const WEB_DIST: string;
export function webBuildIsStale(): boolean;
export function buildWeb(): Promise<string>;
export function buildWebIfStale(): Promise<boolean>;
