export { decidePush } from './decide.ts';
export { deliveryId, detectProvider, eventName } from './detect.ts';
export { parseDelivery } from './parse.ts';
export type { PushDecision, RefUpdate, WebhookEvent, WebhookHeaders, WebhookProvider } from './types.ts';
export { hmacHex, verifySignature } from './verify.ts';
