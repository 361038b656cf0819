// Invokes the Lambda handler locally, as the Lambda runtime would: an API Gateway HTTP API
// (payload 2.0) event for POST /v1/classify with a multipart body, the answer's status and body
// printed. DESCRY_* variables come from the environment (the function's configuration).
//   node invoke.mjs <image> <label,label,...>
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { handler } from './handler.mjs';

const [imagePath, labels] = process.argv.slice(2);
const form = new FormData();
form.append('image', new Blob([await readFile(imagePath)], { type: 'image/png' }), basename(imagePath));
form.append('labels', labels);
const request = new Request('https://lambda.local/v1/classify', { method: 'POST', body: form });
const body = Buffer.from(await request.arrayBuffer());

const event = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/v1/classify',
  rawQueryString: '',
  headers: { 'content-type': request.headers.get('content-type'), host: 'lambda.local' },
  requestContext: {
    accountId: '000000000000',
    apiId: 'local',
    domainName: 'lambda.local',
    domainPrefix: 'lambda',
    http: {
      method: 'POST',
      path: '/v1/classify',
      protocol: 'HTTP/1.1',
      sourceIp: '127.0.0.1',
      userAgent: 'invoke',
    },
    requestId: 'local',
    routeKey: '$default',
    stage: '$default',
    time: new Date().toUTCString(),
    timeEpoch: Date.now(),
  },
  body: body.toString('base64'),
  isBase64Encoded: true,
};
const context = { awsRequestId: 'local', functionName: 'descry', getRemainingTimeInMillis: () => 30_000 };

const result = await handler(event, context);
const json = JSON.parse(result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString() : result.body);
console.log(
  JSON.stringify({
    status: result.statusCode,
    model: json.model,
    top: json.results?.[0]?.predictions[0].label,
  }),
);
