import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'infra', 'kafka-cluster.mjs');
const run = promisify(execFile);

/**
 * A three-broker Kafka cluster of one test file's own (scripts/infra/kafka-cluster.mjs): KRaft, each
 * node broker + controller, replication factor 3 and min.insync.replicas 2 by default. A test may
 * SIGKILL one node and start it again on the same ports and data.
 */
export class KafkaCluster {
  readonly runDir: string;
  nodes: { pid: number; port: number }[] = [];

  constructor() {
    const parent = join(__dirname, '..', '..', '.tmp');
    mkdirSync(parent, { recursive: true });
    this.runDir = mkdtempSync(join(parent, 'kafka-cluster-'));
  }

  /** The bootstrap list of every node, as KAFKA_BROKERS takes it. */
  get brokers(): string[] {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`);
  }

  async start(): Promise<this> {
    const { stdout } = await run(process.execPath, [SCRIPT, 'start', this.runDir], { encoding: 'utf8' });
    this.nodes = (JSON.parse(stdout.trim().split('\n').pop()!) as { nodes: { pid: number; port: number }[] }).nodes;
    return this;
  }

  /** SIGKILL: the node dies mid-flight, nothing flushed, no controlled shutdown. */
  kill(index: number): void {
    process.kill(this.nodes[index].pid, 'SIGKILL');
  }

  /** Starts a killed node again; resolves once the cluster lists it among its brokers. */
  async restart(index: number): Promise<void> {
    const { stdout } = await run(process.execPath, [SCRIPT, 'start-node', this.runDir, String(index)], { encoding: 'utf8' });
    this.nodes[index].pid = (JSON.parse(stdout.trim().split('\n').pop()!) as { pid: number }).pid;
  }

  async stop(): Promise<void> {
    await run(process.execPath, [SCRIPT, 'stop', this.runDir]);
  }
}
