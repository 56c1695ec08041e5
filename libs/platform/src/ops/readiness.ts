/** One dependency a service needs to do its work: the store, Kafka, Redis. */
export type ReadinessCheck = Readonly<{ name: string; check: () => Promise<void> }>;

/** The checks in force now (connections are created lazily, so the list can grow after start). */
export type ReadinessSource = () => readonly ReadinessCheck[];

export type ReadinessReport = Readonly<{
  status: 'up' | 'down';
  checks: Readonly<Record<string, { status: 'up' } | { status: 'down'; error: string }>>;
}>;

/**
 * Runs every check at once, each bounded by `timeoutMs` (a dependency that hangs is down, and the
 * probe answers in time for the orchestrator). Only the error message is reported: no stack, no
 * connection string.
 */
export async function checkReadiness(source: ReadinessSource, timeoutMs = 2_500): Promise<ReadinessReport> {
  const checks = source();
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { status: 'up' as const }] as const;
      } catch (error) {
        return [name, { status: 'down' as const, error: (error as Error)?.message ?? String(error) }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { status: results.every(([, r]) => r.status === 'up') ? 'up' : 'down', checks: Object.fromEntries(results) };
}
