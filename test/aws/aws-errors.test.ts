import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { awsCall, translateAwsError, withBackoff } from '../../adapters/aws/aws-errors.ts';
import { ConflictError, NotFoundError, ValidationError, WharfError } from '../../core/errors.ts';

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, ...extra });

describe('AWS error edge', () => {
  it('retries throttled calls with growing, capped waits, then succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withBackoff(
      async () => {
        calls++;
        if (calls < 5) throw named(calls % 2 ? 'ThrottlingException' : 'TooManyRequestsException');
        return 'ok';
      },
      { sleep: async (ms) => void waits.push(ms), random: () => 1, baseMs: 100, maxMs: 500 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(5);
    expect(waits).toEqual([100, 200, 400, 500]);
  });

  it('gives up after maxAttempts and surfaces throttling as unavailable', async () => {
    let calls = 0;
    const err = await awsCall(
      'list tasks',
      async () => {
        calls++;
        throw named('ProvisionedThroughputExceededException');
      },
      { sleep: async () => {}, maxAttempts: 3 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(WharfError);
    expect((err as WharfError).code).toBe('unavailable');
    expect((err as WharfError).cause).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  it('does not retry other errors, and honours the SDK throttling flag', async () => {
    let calls = 0;
    await expect(
      withBackoff(
        async () => {
          calls++;
          throw named('AccessDeniedException');
        },
        { sleep: async () => {} },
      ),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(calls).toBe(1);
    let flagged = 0;
    await withBackoff(
      async () => {
        if (flagged++ === 0) throw named('SomethingNew', { $retryable: { throttling: true } });
      },
      { sleep: async () => {} },
    );
    expect(flagged).toBe(2);
  });

  it('maps SDK exceptions to core errors and the API codes', () => {
    const ccf = new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
    });
    expect(translateAwsError(ccf, 'x')).toBeInstanceOf(ConflictError);
    expect(translateAwsError(named('ResourceNotFoundException'), 'x')).toBeInstanceOf(NotFoundError);
    expect(translateAwsError(named('ServiceNotFoundException'), 'x')).toBeInstanceOf(NotFoundError);
    expect(translateAwsError(named('InvalidParameterException'), 'x')).toBeInstanceOf(ValidationError);
    // ELB's errors as SDK v3 names them, and as the wire codes
    for (const n of ['TargetGroupNotFoundException', 'RuleNotFound', 'ListenerNotFoundException']) {
      expect(translateAwsError(named(n), 'x')).toBeInstanceOf(NotFoundError);
    }
    expect(translateAwsError(named('PriorityInUseException'), 'x')).toBeInstanceOf(ConflictError);
    expect((translateAwsError(named('AccessDeniedException'), 'x') as WharfError).code).toBe('forbidden');
    expect((translateAwsError(named('Boom'), 'x') as WharfError).code).toBe('internal');
    const mine = new ConflictError('already');
    expect(translateAwsError(mine, 'x')).toBe(mine);
  });
});
