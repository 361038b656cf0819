/**
 * Where a decoder's .wasm is read from when nothing was configured: a reader of files in installed
 * packages, which only Node has. Node's entry point installs one (./node-providers.ts); elsewhere
 * there is none, so that no module the browser or workerd loads imports a Node built-in.
 */

/** Reads a file of an installed package, given as `package/path/file.wasm`. */
export type PackageFileReader = (packagePath: string) => Promise<Uint8Array>;

let reader: PackageFileReader | undefined;

/** Installs the reader of package files (Node's entry point does); `undefined` removes it. */
export function installPackageFileReader(supplied: PackageFileReader | undefined): void {
  reader = supplied;
}

/** A source that reads `packagePath` with the installed reader, or undefined without one. */
export function packageFileSource(packagePath: string): (() => Promise<Uint8Array>) | undefined {
  const installed = reader;
  return installed === undefined ? undefined : () => installed(packagePath);
}
