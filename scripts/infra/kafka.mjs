// A real single-node Apache Kafka broker (KRaft, broker + controller in one JVM) for tests and development.
// There is no Docker engine and no Debian package of Kafka here, so the jars come from Maven Central
// through tools/kafka/pom.xml and the broker runs straight from the class path.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError, freePort, isAlive, pollUntil, requireCommand, stopProcess, tailFile } from './process-utils.mjs';

const require = createRequire(import.meta.url);
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOOLS_DIR = path.join(ROOT, 'tools/kafka');
const LIBS_DIR = path.join(TOOLS_DIR, 'libs');
// Holds a hash of the pom: a changed pom (new Kafka version) re-resolves, an interrupted copy never counts as done.
const LIBS_MARKER = path.join(LIBS_DIR, '.complete');
const CLASSPATH = `${LIBS_DIR}/*`;

const JAVA_HINT = 'apt-get install -y openjdk-17-jre-headless maven';
// Bounded heap: the broker shares 2 cores with the Jest workers; SerialGC starts ~0.2 s faster than G1 here.
export const JVM_OPTS = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
export const CLASSPATH_OF_BROKER = CLASSPATH;

const pomHash = () => createHash('sha256').update(readFileSync(path.join(TOOLS_DIR, 'pom.xml'))).digest('hex');

/** Resolves the broker's jars once; later runs see the marker and skip Maven entirely. */
export function ensureKafkaLibs({ log = () => {} } = {}) {
  requireCommand('java', JAVA_HINT);
  const hash = pomHash();
  if (existsSync(LIBS_MARKER) && readFileSync(LIBS_MARKER, 'utf8').trim() === hash) return;
  requireCommand('mvn', JAVA_HINT);
  log('resolving the Kafka broker jars with Maven (first run only)...');
  // Copy into a private folder and rename, so a concurrent or interrupted run never leaves a half-filled libs/.
  const partial = `${LIBS_DIR}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-f', path.join(TOOLS_DIR, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${partial}`, '-DincludeScope=runtime'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (mvn.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new InfraError(`mvn dependency:copy-dependencies failed:\n${`${mvn.stdout}\n${mvn.stderr}`.trim().split('\n').slice(-20).join('\n')}`);
  }
  if (!readdirSync(partial).some((f) => /^kafka_2\.13-.*\.jar$/.test(f))) throw new InfraError('Maven did not resolve kafka_2.13');
  writeFileSync(path.join(partial, '.complete'), `${hash}\n`);
  rmSync(LIBS_DIR, { recursive: true, force: true });
  renameSync(partial, LIBS_DIR);
}

/**
 * 16 random bytes as 22 characters of base64url: the format of a KRaft cluster id (no JVM start needed).
 * It may start with '-', so it is passed as `--cluster-id=<id>`, never as a separate argument.
 */
export const randomClusterId = () => randomBytes(16).toString('base64url');

/**
 * A combined broker + controller node. One node alone by default; a cluster passes each node its id,
 * the quorum's voters (`1@host:port,2@…`) and the replication of the internal topics.
 */
export function serverProperties({ dataDir, port, controllerPort, nodeId = 1, voters = `1@127.0.0.1:${controllerPort}`, replicas = 1, minIsr = 1 }) {
  return [
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Internal topics replicated as far as the cluster allows: on one broker, factor 1, or the group coordinator never comes up.
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${minIsr}`,
    // Fewer internal partitions than the defaults (50): the first group join creates them, and tests create many groups.
    'offsets.topic.num.partitions=5',
    'transaction.state.log.num.partitions=5',
    // Without this the first member of every group waits 3 s for others before the group stabilises.
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=3',
    // Topics are created by the services' admin clients (MessageBus.ensureTopics) before anyone produces or
    // consumes: auto-creation would hide a missing ensureTopics and create topics without their DLQ or compaction.
    'auto.create.topics.enable=false',
    'num.network.threads=2',
    'num.io.threads=2',
    'log.retention.check.interval.ms=300000',
    '',
  ].join('\n');
}

export const log4jProperties = (logFile) =>
  [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // The line that says the broker is up is at INFO: keep it, it dates the start in the log.
    'log4j.logger.kafka.server.KafkaRaftServer=INFO',
    '',
  ].join('\n');

const probeAdmin = (brokers, timeoutMs) => {
  const { Kafka, logLevel } = require(path.join(ROOT, 'node_modules/kafkajs'));
  return new Kafka({
    clientId: 'keywarden-infra-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin();
};

/** Answers when a kafkajs admin can describe the cluster, i.e. the broker serves metadata. */
export async function kafkaAnswers(brokers, { timeoutMs = 1500 } = {}) {
  const admin = probeAdmin(brokers, timeoutMs);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * The group coordinator exists only once __consumer_offsets does, which the broker creates on the first
 * FindCoordinator. Doing that here moves the "coordinator not available / not the correct coordinator"
 * phase out of the first test that happens to use a consumer group.
 */
export async function groupCoordinatorAnswers(brokers, { timeoutMs = 3000 } = {}) {
  const admin = probeAdmin(brokers, timeoutMs);
  try {
    await admin.connect();
    await admin.describeCluster(); // loads the broker pool that the coordinator lookup searches
    await admin.fetchOffsets({ groupId: 'keywarden-infra-warm-up', topics: [] });
    return true;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * Formats a fresh data folder under `runDir` and starts the broker detached (it outlives this script:
 * `stopKafka` ends it). Resolves once a kafkajs admin can describe the cluster and the group coordinator answers.
 * @returns {Promise<{pid: number, brokers: string, runDir: string, logFile: string, startupMs: number, answeredMs: number}>}
 */
export async function startKafka({ runDir, log = () => {}, readyTimeoutMs = 60_000 }) {
  ensureKafkaLibs({ log });
  const started = Date.now();
  mkdirSync(runDir, { recursive: true });
  const dataDir = path.join(runDir, 'data');
  const propsFile = path.join(runDir, 'server.properties');
  const logFile = path.join(runDir, 'broker.log');
  const stdoutFile = path.join(runDir, 'broker.stdout.log');
  const log4jFile = path.join(runDir, 'log4j.properties');
  // A run folder that already holds a broker (stopped with keepFiles) restarts it on the same ports
  // and data: what a broker outage and recovery looks like to its clients.
  const previous = existsSync(propsFile) ? /PLAINTEXT:\/\/127\.0\.0\.1:(\d+),CONTROLLER:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(propsFile, 'utf8')) : null;
  const [port, controllerPort] = previous ? [Number(previous[1]), Number(previous[2])] : [await freePort(), await freePort()];
  if (!previous) writeFileSync(propsFile, serverProperties({ dataDir, port, controllerPort }));
  writeFileSync(log4jFile, log4jProperties(logFile));
  const log4j = `-Dlog4j.configuration=file:${log4jFile}`;

  if (!previous) {
    const format = spawnSync(
      'java',
      [log4j, '-cp', CLASSPATH, 'kafka.tools.StorageTool', 'format', `--cluster-id=${randomClusterId()}`, '-c', propsFile, '--ignore-formatted'],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) throw new InfraError(`kafka storage format failed:\n${format.stdout}${format.stderr}`);
  }

  const out = openSync(stdoutFile, 'a');
  const child = spawn('java', [...JVM_OPTS, log4j, '-cp', CLASSPATH, 'kafka.Kafka', propsFile], {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: runDir,
  });
  closeSync(out);
  child.unref();
  const pid = child.pid;
  const brokers = `127.0.0.1:${port}`;

  const abort = () => (isAlive(pid) ? undefined : 'the broker exited during start-up');
  let answeredMs;
  try {
    await pollUntil(() => kafkaAnswers([brokers]), { timeoutMs: readyTimeoutMs, intervalMs: 100, abort });
    answeredMs = Date.now() - started;
    await pollUntil(() => groupCoordinatorAnswers([brokers]), { timeoutMs: readyTimeoutMs, intervalMs: 100, abort });
  } catch (e) {
    await stopProcess(pid, { timeoutMs: 5_000 });
    throw new InfraError(
      `Kafka broker did not start (${e.message}); last lines of ${logFile}:\n${tailFile(logFile)}\n${tailFile(stdoutFile, 10)}`,
    );
  }
  // startupMs: format + JVM start + metadata served + group coordinator ready; answeredMs: until metadata only.
  return { pid, brokers, runDir, logFile, startupMs: Date.now() - started, answeredMs };
}

/** SIGTERM (a clean KRaft shutdown takes about 2-3 s), SIGKILL after the timeout; removes the run folder. */
export async function stopKafka({ pid, runDir }, { timeoutMs = 20_000, keepFiles = false } = {}) {
  const result = await stopProcess(pid, { timeoutMs });
  if (runDir && !keepFiles) rmSync(runDir, { recursive: true, force: true });
  return result;
}
