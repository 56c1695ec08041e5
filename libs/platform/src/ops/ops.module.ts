import { Controller, DynamicModule, Get, HttpCode, Inject, Module, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Response } from 'express';
import { metricsText } from '@keywarden/observability';
import { checkReadiness, ReadinessSource } from './readiness';

const READINESS_SOURCE = Symbol('READINESS_SOURCE');

/** The ReadinessReport, as documented. */
const READINESS_REPORT: SchemaObject = {
  type: 'object',
  required: ['status', 'checks'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['up', 'down'] },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['status'],
        additionalProperties: false,
        properties: { status: { type: 'string', enum: ['up', 'down'] }, error: { type: 'string', description: 'Why the dependency is down.' } },
      },
    },
  },
};

@ApiTags('Operations')
@Controller('health')
class HealthController {
  constructor(@Inject(READINESS_SOURCE) private readonly readiness: ReadinessSource) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ operationId: 'getLiveness', summary: 'Liveness: the process is up and serving HTTP', description: 'For an orchestrator’s liveness probe; needs no token.', security: [] })
  @ApiOkResponse({ description: 'The process serves HTTP.', schema: { type: 'object', required: ['status'], additionalProperties: false, properties: { status: { type: 'string', enum: ['up'] } }, example: { status: 'up' } } })
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  @Get('ready')
  @ApiOperation({ operationId: 'getReadiness', summary: "Readiness: the service's event store, Kafka and Redis connections answer", description: 'For a load balancer’s readiness probe; needs no token. Each dependency is checked at the call.', security: [] })
  @ApiOkResponse({ description: 'Every dependency answers.', schema: { ...READINESS_REPORT, example: { status: 'up', checks: { eventStore: { status: 'up' }, kafka: { status: 'up' }, redis: { status: 'up' } } } } })
  @ApiServiceUnavailableResponse({ description: 'A dependency does not answer; `checks` names it.', schema: { ...READINESS_REPORT, example: { status: 'down', checks: { redis: { status: 'down', error: 'connect ECONNREFUSED' } } } } })
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const report = await checkReadiness(this.readiness);
    res.status(report.status === 'up' ? 200 : 503);
    return report;
  }
}

@ApiTags('Operations')
@Controller('metrics')
class MetricsController {
  @Get()
  @ApiOperation({ operationId: 'getMetrics', summary: 'Prometheus metrics of this process', description: 'The Prometheus text exposition format, for a scraper; needs no token.', security: [] })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The metrics in the Prometheus text format.', schema: { type: 'string' } })
  async metrics(@Res() res: Response): Promise<void> {
    const { contentType, body } = await metricsText();
    res.status(200).setHeader('Content-Type', contentType).send(body);
  }
}

/** /health/live, /health/ready and /metrics for an admin HTTP service (createHttpApp adds it). */
@Module({})
export class OpsModule {
  static forRoot(readiness: ReadinessSource): DynamicModule {
    return { module: OpsModule, controllers: [HealthController, MetricsController], providers: [{ provide: READINESS_SOURCE, useValue: readiness }] };
  }
}
