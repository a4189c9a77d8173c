import './tracing';
import { runService } from '@storefront/service-kit';
import { readGatewayConfig } from './config';
import { startGateway } from './server';

runService('gateway', async () => startGateway(readGatewayConfig()));
