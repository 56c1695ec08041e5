import { Controller, DynamicModule, Get, HttpCode, Inject, Module, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { metricsText } from '@keywarden/observability';
import { checkReadiness, ReadinessSource } from './readiness';

const READINESS_SOURCE = Symbol('READINESS_SOURCE');

@ApiTags('operations')
@Controller('health')
class HealthController {
  constructor(@Inject(READINESS_SOURCE) private readonly readiness: ReadinessSource) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP', security: [] })
  @ApiOkResponse({ schema: { example: { status: 'up' } } })
  live(): { status: 'up' } {
    return { status: 'up' };
  }

  @Get('ready')
  @ApiOperation({ summary: "Readiness: the service's event store, Kafka and Redis connections answer", security: [] })
  @ApiOkResponse({ schema: { example: { status: 'up', checks: { eventStore: { status: 'up' }, kafka: { status: 'up' }, redis: { status: 'up' } } } } })
  @ApiServiceUnavailableResponse({ description: 'a dependency does not answer; `checks` names it' })
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    const report = await checkReadiness(this.readiness);
    res.status(report.status === 'up' ? 200 : 503);
    return report;
  }
}

@ApiTags('operations')
@Controller('metrics')
class MetricsController {
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics of this process', security: [] })
  @ApiProduces('text/plain')
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
