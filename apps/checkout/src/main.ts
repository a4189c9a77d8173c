import './tracing';
import { runService } from '@storefront/service-kit';
import { readCheckoutConfig } from './config';
import { startCheckout } from './server';

runService('checkout', async () => startCheckout(readCheckoutConfig()));
