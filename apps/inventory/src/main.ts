import './tracing';
import { runService } from '@storefront/service-kit';
import { readInventoryConfig } from './config';
import { startInventory } from './server';

runService('inventory', async () => startInventory(readInventoryConfig()));
