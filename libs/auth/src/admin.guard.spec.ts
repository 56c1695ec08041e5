import { ManualClock } from '@keywarden/clock';
import { Controller, Get, INestApplication, Param, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AdminPrincipal } from './admin-principal';
import { ADMIN_TOKEN_VERIFIER, AdminKeysUnavailableError, AdminTokenVerifier, VerifiesAdminTokens } from './admin-token-verifier';
import { AdminGuard } from './admin.guard';
import { CurrentAdmin } from './current-admin.decorator';
import { DevelopmentIssuer } from './development-issuer';

@Controller('v1/orgs/:orgId/things')
@UseGuards(AdminGuard)
class OrgThingsController {
  @Get()
  list(@Param('orgId') orgId: string, @CurrentAdmin() admin: AdminPrincipal) {
    return { orgId, admin };
  }
}

@Controller('v1/platform')
@UseGuards(AdminGuard)
class PlatformController {
  @Get()
  show(@CurrentAdmin() admin: AdminPrincipal) {
    return { sub: admin.sub };
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'kw-admin-guard-'));
const clock = new ManualClock('2026-03-01T09:00:00.000Z');
const issuer = DevelopmentIssuer.open(dataDir, clock);

async function appWith(verifier: VerifiesAdminTokens): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    controllers: [OrgThingsController, PlatformController],
    providers: [{ provide: ADMIN_TOKEN_VERIFIER, useValue: verifier }],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('AdminGuard over HTTP', () => {
  let app: INestApplication;
  const adminOfA = () => issuer.issue({ orgId: 'org-a', email: 'ada@example.com', role: 'admin' });

  beforeAll(async () => {
    app = await appWith(new AdminTokenVerifier(issuer.verifierOptions()));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 401 with a Bearer challenge when there is no token', async () => {
    const res = await request(app.getHttpServer()).get('/v1/orgs/org-a/things').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="keywarden"');
    expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    expect(res.body.message).toContain('Authorization: Bearer');
  });

  it('answers 401 for another scheme, garbage and an expired token', async () => {
    const expired = await issuer.issue({ orgId: 'org-a', email: 'ada@example.com', role: 'admin', ttlSeconds: -60 });
    for (const authorization of ['Basic YWRhOnNlY3JldA==', 'Bearer garbage', `Bearer ${expired}`]) {
      const res = await request(app.getHttpServer()).get('/v1/orgs/org-a/things').set('Authorization', authorization).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="keywarden"/);
    }
    const res = await request(app.getHttpServer()).get('/v1/orgs/org-a/things').set('Authorization', `Bearer ${expired}`);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.body.message).toContain('expired');
    expect(res.body.message).not.toContain(expired);
  });

  it('lets an admin act on their own organisation and hands the principal to the route', async () => {
    const res = await request(app.getHttpServer()).get('/v1/orgs/org-a/things').set('Authorization', `Bearer ${await adminOfA()}`).expect(200);
    expect(res.body).toEqual({
      orgId: 'org-a',
      admin: { sub: 'dev:ada@example.com', email: 'ada@example.com', orgId: 'org-a', roles: ['admin'], isOperator: false },
    });
  });

  it('answers 403 to an admin of another organisation, without echoing the token', async () => {
    const token = await adminOfA();
    const res = await request(app.getHttpServer()).get('/v1/orgs/org-b/things').set('Authorization', `Bearer ${token}`).expect(403);
    expect(res.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    expect(res.body.message).not.toContain(token);
  });

  it('lets an operator act on any organisation', async () => {
    const token = await issuer.issue({ orgId: 'staff', email: 'op@example.com', role: 'operator' });
    for (const orgId of ['org-a', 'org-b']) {
      await request(app.getHttpServer()).get(`/v1/orgs/${orgId}/things`).set('Authorization', `Bearer ${token}`).expect(200);
    }
  });

  it('needs only a valid admin or operator on routes without an organisation', async () => {
    await request(app.getHttpServer()).get('/v1/platform').set('Authorization', `Bearer ${await adminOfA()}`).expect(200);
    await request(app.getHttpServer()).get('/v1/platform').expect(401);
  });

  it('answers 403 to a valid token without an admin or operator role', async () => {
    const viewer: VerifiesAdminTokens = { verify: async () => ({ sub: 'v', email: null, orgId: 'org-a', roles: [], isOperator: false }) };
    const viewerApp = await appWith(viewer);
    try {
      await request(viewerApp.getHttpServer()).get('/v1/orgs/org-a/things').set('Authorization', 'Bearer x.y.z').expect(403);
    } finally {
      await viewerApp.close();
    }
  });

  it("answers 503, not 401, when the identity provider's keys cannot be fetched", async () => {
    const down: VerifiesAdminTokens = {
      verify: async () => {
        throw new AdminKeysUnavailableError();
      },
    };
    const downApp = await appWith(down);
    try {
      await request(downApp.getHttpServer()).get('/v1/orgs/org-a/things').set('Authorization', 'Bearer x.y.z').expect(503);
    } finally {
      await downApp.close();
    }
  });
});
