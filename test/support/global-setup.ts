// Placeholder until the infrastructure scripts land: unit tests need nothing started.
export default async function globalSetup(): Promise<void> {}
