// Descry installed alone: the features whose packages are optional peers say which to install.
// Prints, per feature, whether it threw a DependencyMissingError and its code and message.
import { DependencyMissingError } from 'descry';
import { openAICompatibleSource } from 'descry/llm';
import { startNodeServer } from 'descry/server';

const report = {};
const record = (name) => (error) => {
  report[name] = { typed: error instanceof DependencyMissingError, code: error.code, message: error.message };
};
await openAICompatibleSource({ baseURL: 'http://127.0.0.1:9/v1', model: 'llama3' })
  .descriptors('pug')
  .catch(record('llm'));
await startNodeServer({ port: 0 }).catch(record('server'));
console.log(JSON.stringify(report));
