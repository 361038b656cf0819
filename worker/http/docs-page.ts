/**
 * `GET /docs`: Swagger UI over the app's OpenAPI document, with no CDN. The page loads Swagger UI
 * from the same origin, under {@link SWAGGER_UI_PATH}, where each host serves the files of the
 * pinned `swagger-ui-dist` package: Workers as static assets (examples/web's build copies them),
 * Node from node_modules (static-site.node.ts). Offline and behind a strict network, the docs
 * still render.
 */
import type { Context } from 'hono';

/** Where the page expects Swagger UI's files. */
export const SWAGGER_UI_PATH = '/docs/';

/** The files of `swagger-ui-dist` the page loads (the bundle includes everything it needs). */
export const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

/** Options of {@link docsPage}. */
export interface DocsPageOptions {
  /** The OpenAPI document's URL. */
  specUrl: string;
  title?: string;
}

/** A handler answering Swagger UI's page. */
export function docsPage({ specUrl, title = 'Descry API' }: DocsPageOptions) {
  // JSON inside a <script>: `<` is escaped so a URL can never close the element.
  const config = JSON.stringify({
    url: specUrl,
    dom_id: '#swagger-ui',
    deepLinking: true,
    // The default would ask validator.swagger.io about the document: no calls to other origins.
    validatorUrl: null,
  }).replaceAll('<', '\\u003c');
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${SWAGGER_UI_PATH}swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${SWAGGER_UI_PATH}swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle(${config});</script>
</body>
</html>
`;
  return (c: Context) => c.html(page);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
