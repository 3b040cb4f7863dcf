// Test helpers: real servers, namespaces, waiting.
export { startRedis, startNats, makeTempDir, type TestServer } from './services.ts';
export { uniqueNamespace } from './namespace.ts';
export { waitFor } from './wait.ts';
export { startNodeProcess, runFaxswitch, type NodeProcess, type CommandResult } from './node-process.ts';
export { startSmtpSink, type SmtpSink, type ReceivedMail, type SmtpSinkOptions } from './smtp-sink.ts';
export { localhostCertificate, type TestCertificate } from './tls.ts';
export { useRedis, type RedisForTests } from './redis-client.ts';
