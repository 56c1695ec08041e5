import type { Provider } from '@nestjs/common';
import { ADMIN_TOKEN_VERIFIER } from '@keywarden/auth';
import { CLOCK } from '@keywarden/clock';
import { KEYWARDEN_CONFIG } from '@keywarden/config';
import { EVENT_STORE } from '@keywarden/event-store';
import { MESSAGE_BUS } from '@keywarden/messaging';
import { Infrastructure } from './infrastructure';
import { LEADER_ELECTION } from './leadership';

/**
 * The ports every admin service binds the same way, to the adapters the Infrastructure chose for
 * this process: configuration, clock, event store, message bus, leader election and the admin token verifier.
 */
export const coreProviders = (infra: Infrastructure): Provider[] => [
  { provide: Infrastructure, useValue: infra },
  { provide: KEYWARDEN_CONFIG, useValue: infra.config },
  { provide: CLOCK, useValue: infra.clock },
  { provide: EVENT_STORE, useFactory: () => infra.eventStore() },
  { provide: MESSAGE_BUS, useFactory: () => infra.messageBus() },
  { provide: LEADER_ELECTION, useFactory: () => infra.leaderElection() },
  { provide: ADMIN_TOKEN_VERIFIER, useFactory: () => infra.adminTokenVerifier() },
];
