/**
 * Node: the static files that the Workers host serves from its `[assets]` (wrangler.toml), served
 * by Hono: Swagger UI's files for `/docs`, straight from the installed `swagger-ui-dist` (an
 * optional peer of descry: without it `/docs` says how to install it and links the OpenAPI
 * document, see {@link SWAGGER_UI_MISSING}), and the
 * demo page (examples/web's build) at `/`, with the response headers its `_headers` file sets for
 * Workers (long caching of content-hashed files), with ETags for conditional requests. Mount it after the app's routes, so that the
 * API, /healthz, /docs and /openapi.json always win over a file of the same name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { SWAGGER_UI_FILES, SWAGGER_UI_PATH } from '../http/docs-page.js';

/** The demo page's build in this repository (`npm run build:web`). */
export const DEFAULT_SITE_DIR = fileURLToPath(new URL('../../examples/web/dist', import.meta.url));

/** Options of {@link staticSite}. */
export interface StaticSiteOptions {
  /** Folder served at `/`; left out when it does not exist. Default {@link DEFAULT_SITE_DIR}. */
  site?: string | false;
}

/**
 * Served as Swagger UI's script when `swagger-ui-dist` is not installed: the docs page then shows
 * why, the command that fixes it, and a link to the OpenAPI document it was given.
 */
export const SWAGGER_UI_MISSING = `window.SwaggerUIBundle = function (config) {
  var root = document.querySelector(config.dom_id);
  var text = document.createElement('p');
  text.textContent = 'Swagger UI is not installed on this server (swagger-ui-dist, an optional peer of descry: npm install swagger-ui-dist). The API is described by ';
  var link = document.createElement('a');
  link.href = config.url;
  link.textContent = config.url;
  text.appendChild(link);
  root.appendChild(text);
};
`;

/** The folder of the installed `swagger-ui-dist`, or undefined. */
function swaggerUiFolder(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    return undefined;
  }
}

/** Routes for the static files; `app.route('/', staticSite())` after the API's routes. */
export function staticSite({ site = DEFAULT_SITE_DIR }: StaticSiteOptions = {}): Hono {
  const files = new Hono();
  const swaggerUi = swaggerUiFolder();
  if (swaggerUi) {
    for (const file of SWAGGER_UI_FILES) {
      files.get(`${SWAGGER_UI_PATH}${file}`, serveStatic({ path: join(swaggerUi, file) }));
    }
  } else {
    files.get(`${SWAGGER_UI_PATH}swagger-ui-bundle.js`, (c) =>
      c.body(SWAGGER_UI_MISSING, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
    );
  }
  if (site && existsSync(site)) {
    const rules = headerRules(join(site, '_headers'));
    // Middleware (`use`), not GET routes: a route for every path would make each of them "known"
    // to the app's 405 answer, and GET /v1/classify would answer 404 instead of 405.
    // Workers read the rules and never serve the file.
    files.use('/_headers', async (c) => c.notFound());
    // ETags and 304s, as Workers assets answer: the SDK revalidates a cached model folder with a
    // conditional request (sdk/engine/source.ts), which costs no download when nothing changed.
    files.use('*', etag());
    files.use(
      '*',
      serveStatic({
        root: site,
        onFound: (_path, c) => {
          for (const rule of rules) {
            if (!rule.path.test(c.req.path)) continue;
            for (const [name, value] of rule.headers) c.header(name, value);
          }
        },
      }),
    );
  }
  return files;
}

/** One rule of a `_headers` file. */
interface HeaderRule {
  path: RegExp;
  headers: Array<[string, string]>;
}

/**
 * The rules of a Workers `_headers` file: a URL pattern on its own line (`*` matches anything),
 * then its headers indented, `Name: value`. Placeholders (`:name`) and detaching (`! Name`), which
 * the build's file does not use, are not read.
 */
function headerRules(file: string): HeaderRule[] {
  if (!existsSync(file)) return [];
  const rules: HeaderRule[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    if (!/^\s/.test(line)) {
      const pattern = line
        .trim()
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('*', '.*');
      rules.push({ path: new RegExp(`^${pattern}$`), headers: [] });
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) rules.at(-1)?.headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return rules;
}
