// The service as an AWS Lambda function (behind API Gateway or a function URL), through Hono's
// `hono/aws-lambda` adapter: the handler is `handler.handler`.
import { createApp, portableDeps } from 'descry/app';
import emojiClip from 'descry/models/emoji-clip';
import { handle } from 'hono/aws-lambda';

const deps = portableDeps({ embeddedModel: emojiClip, vars: process.env, runtime: 'aws-lambda' });
export const handler = handle(createApp(deps));
