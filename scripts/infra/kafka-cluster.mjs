// A three-node Apache Kafka cluster on loopback (KRaft, each node broker + controller, a 3-voter
// quorum), from the same jars as the single broker (kafka.mjs). Internal topics and the default
// replication factor are 3, min.insync.replicas 2: with acks=all, writes go on with one node down.
// As a command, for tests (test/support/kafka-cluster.ts):
//   start <runDir>            formats and starts the three nodes; prints {brokers, nodes: [{pid, port}]} as JSON
//   start-node <runDir> <i>   restarts node i (0-2) on its ports and data; prints {pid}
//   stop <runDir>             stops every node and removes the folder
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  CLASSPATH_OF_BROKER,
  ROOT,
  ensureKafkaLibs,
  groupCoordinatorAnswers,
  kafkaAnswers,
  log4jProperties,
  randomClusterId,
  serverProperties,
} from './kafka.mjs';
import { InfraError, freePort, isAlive, pollUntil, stopProcess, tailFile } from './process-utils.mjs';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require(path.join(ROOT, 'node_modules/kafkajs'));

const NODES = 3;
// Three JVMs share 2 cores with the tests: small heaps.
const JVM_OPTS = ['-Xms128m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true'];

const stateFile = (runDir) => path.join(runDir, 'cluster.json');
const nodeDir = (runDir, i) => path.join(runDir, `node-${i}`);

function readClusterState(runDir) {
  return JSON.parse(readFileSync(stateFile(runDir), 'utf8'));
}

function spawnNode(runDir, i) {
  const dir = nodeDir(runDir, i);
  const log4j = `-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`;
  const out = openSync(path.join(dir, 'stdout.log'), 'a');
  const child = spawn('java', [...JVM_OPTS, log4j, '-cp', CLASSPATH_OF_BROKER, 'kafka.Kafka', path.join(dir, 'server.properties')], {
    detached: true,
    stdio: ['ignore', out, out],
    cwd: dir,
  });
  closeSync(out);
  child.unref();
  return child.pid;
}

async function waitUntilServing(state, { nodes, timeoutMs = 120_000 }) {
  const brokers = nodes.map((i) => `127.0.0.1:${state.nodes[i].port}`);
  const abort = () => {
    const dead = nodes.find((i) => !isAlive(state.nodes[i].pid));
    return dead === undefined ? undefined : `node ${dead} exited during start-up:\n${tailFile(path.join(nodeDir(state.runDir, dead), 'broker.log'))}`;
  };
  // Every node answers as a broker and the cluster lists the three of them.
  await pollUntil(
    async () => {
      for (const broker of brokers) if (!(await kafkaAnswers([broker]))) return false;
      const admin = new Kafka({ clientId: 'keywarden-cluster-probe', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
      try {
        await admin.connect();
        return (await admin.describeCluster()).brokers.length === NODES;
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
    { timeoutMs, intervalMs: 200, abort },
  );
  await pollUntil(() => groupCoordinatorAnswers(brokers), { timeoutMs, intervalMs: 200, abort });
}

/** @returns {Promise<{brokers: string, nodes: {pid: number, port: number}[], startupMs: number}>} */
export async function startCluster({ runDir }) {
  ensureKafkaLibs();
  const started = Date.now();
  mkdirSync(runDir, { recursive: true });
  const ports = [];
  for (let i = 0; i < NODES; i++) ports.push({ port: await freePort(), controllerPort: await freePort() });
  const voters = ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controllerPort}`).join(',');
  const clusterId = randomClusterId();
  for (let i = 0; i < NODES; i++) {
    const dir = nodeDir(runDir, i);
    mkdirSync(dir, { recursive: true });
    const props = path.join(dir, 'server.properties');
    writeFileSync(props, serverProperties({ dataDir: path.join(dir, 'data'), ...ports[i], nodeId: i + 1, voters, replicas: NODES, minIsr: 2 }));
    writeFileSync(path.join(dir, 'log4j.properties'), log4jProperties(path.join(dir, 'broker.log')));
    const format = spawnSync(
      'java',
      [`-Dlog4j.configuration=file:${path.join(dir, 'log4j.properties')}`, '-cp', CLASSPATH_OF_BROKER, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props, '--ignore-formatted'],
      { encoding: 'utf8' },
    );
    if (format.status !== 0) throw new InfraError(`kafka storage format of node ${i} failed:\n${format.stdout}${format.stderr}`);
  }
  const state = { runDir, nodes: ports.map((p) => ({ ...p, pid: 0 })) };
  for (let i = 0; i < NODES; i++) state.nodes[i].pid = spawnNode(runDir, i);
  writeFileSync(stateFile(runDir), JSON.stringify(state));
  try {
    await waitUntilServing(state, { nodes: [0, 1, 2] });
  } catch (e) {
    await stopCluster({ runDir });
    throw e;
  }
  return { brokers: state.nodes.map((n) => `127.0.0.1:${n.port}`).join(','), nodes: state.nodes.map(({ pid, port }) => ({ pid, port })), startupMs: Date.now() - started };
}

/** Starts node `i` again on its ports and data (after a kill); resolves once the cluster lists it again. */
export async function startNode({ runDir, index }) {
  const state = readClusterState(runDir);
  if (isAlive(state.nodes[index].pid)) throw new InfraError(`node ${index} is still running (pid ${state.nodes[index].pid})`);
  state.nodes[index].pid = spawnNode(runDir, index);
  writeFileSync(stateFile(runDir), JSON.stringify(state));
  await waitUntilServing(state, { nodes: [index] });
  return { pid: state.nodes[index].pid };
}

export async function stopCluster({ runDir }) {
  if (existsSync(stateFile(runDir))) {
    const state = readClusterState(runDir);
    await Promise.all(state.nodes.map((n) => stopProcess(n.pid, { timeoutMs: 10_000 })));
  }
  rmSync(runDir, { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [command, runDir, index] = process.argv.slice(2);
  try {
    if (command === 'start') process.stdout.write(`${JSON.stringify(await startCluster({ runDir }))}\n`);
    else if (command === 'start-node') process.stdout.write(`${JSON.stringify(await startNode({ runDir, index: Number(index) }))}\n`);
    else if (command === 'stop') await stopCluster({ runDir });
    else {
      process.stderr.write('usage: kafka-cluster.mjs start <runDir> | start-node <runDir> <i> | stop <runDir>\n');
      process.exit(2);
    }
  } catch (error) {
    process.stderr.write(`${error instanceof InfraError ? error.message : error.stack}\n`);
    process.exit(1);
  }
}
