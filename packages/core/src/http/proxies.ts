// The node edge resolves client addresses with the same pure resolver as the fetch face (one implementation;
// its parity with node:net's BlockList is tested in web/client-address.test.ts).
export {
  createWebClientAddressResolver as createClientAddressResolver,
  normalizeWebAddress as normalizeAddress,
  type TrustedProxies,
} from '../web/client-address.js';
