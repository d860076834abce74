import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../core/errors.ts';
import { decidePush, detectProvider, parseDelivery, verifySignature } from '../../core/webhooks/index.ts';
import { deliver, githubExamples, payload, tamper } from './deliveries.ts';

const SECRET = 'It’s a Secret to Everybody';

describe('GitHub deliveries (octokit examples)', () => {
  it('parses every push example into ref updates and decides only master branch pushes build', () => {
    const decisions = githubExamples('push').map((p) => {
      const d = deliver('github', 'push', JSON.stringify(p), SECRET);
      expect(detectProvider(d.headers)).toBe('github');
      expect(verifySignature('github', d.headers, d.body, SECRET)).toBe(true);
      const event = parseDelivery('github', d.headers, d.body.toString());
      if (event.kind !== 'push') throw new Error('expected a push');
      expect(event.repository).toEqual({
        fullName: 'Codertocat/Hello-World',
        cloneUrl: 'https://github.com/Codertocat/Hello-World.git',
      });
      return decidePush(event.updates, 'master');
    });
    expect(decisions.filter((d) => d.action === 'build')).toEqual([
      { action: 'build', commit: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', ref: 'refs/heads/master' },
      { action: 'build', commit: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', ref: 'refs/heads/master' },
    ]);
    expect(decisions.filter((d) => d.action === 'ignore')).toHaveLength(5);
  });

  it('says why a deleted branch does not build', () => {
    const deleted = githubExamples('push').find((p) => p['deleted'] === true)!;
    deleted['ref'] = 'refs/heads/main';
    const d = deliver('github', 'push', JSON.stringify(deleted), SECRET);
    const event = parseDelivery('github', d.headers, d.body.toString());
    if (event.kind !== 'push') throw new Error('expected a push');
    expect(decidePush(event.updates, 'main')).toEqual({
      action: 'ignore',
      reason: 'branch main was deleted: nothing to build',
    });
  });

  it('answers ping and names other events', () => {
    const ping = deliver('github', 'ping', JSON.stringify(githubExamples('ping')[0]), SECRET, 'abc');
    expect(parseDelivery('github', ping.headers, ping.body.toString())).toEqual({
      kind: 'ping',
      provider: 'github',
      deliveryId: 'github:abc',
    });
    const issues = deliver('github', 'issues', JSON.stringify(githubExamples('issues')[0]), SECRET);
    expect(parseDelivery('github', issues.headers, issues.body.toString())).toMatchObject({
      kind: 'other',
      name: 'issues',
    });
  });
});

describe('GitLab, Bitbucket Cloud and Gitea deliveries (documentation payloads)', () => {
  it.each([
    [
      'gitlab',
      'Push Hook',
      'gitlab-push.json',
      'master',
      'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
      'mike/diaspora',
    ],
    [
      'bitbucket',
      'repo:push',
      'bitbucket-push.json',
      'main',
      '709d658dc5b6d6afcd46049c2f332ee3f515a67d',
      'team_name/repo_name',
    ],
    [
      'gitea',
      'push',
      'gitea-push.json',
      'develop',
      'bffeb74224043ba2feb48d137756c8a9331c449a',
      'gitea/webhooks',
    ],
  ] as const)('%s: detects, verifies and parses a push', (provider, event, file, branch, commit, repo) => {
    const d = deliver(provider, event, JSON.stringify(payload(file)), SECRET);
    expect(detectProvider(d.headers)).toBe(provider);
    expect(verifySignature(provider, d.headers, d.body, SECRET)).toBe(true);
    expect(verifySignature(provider, d.headers, d.body, `${SECRET}!`)).toBe(false);
    if (provider !== 'gitlab')
      expect(verifySignature(provider, tamper(d).headers, tamper(d).body, SECRET)).toBe(false);
    const parsed = parseDelivery(provider, d.headers, d.body.toString());
    if (parsed.kind !== 'push') throw new Error('expected a push');
    expect(parsed.repository.fullName).toBe(repo);
    expect(decidePush(parsed.updates, branch)).toEqual({
      action: 'build',
      commit,
      ref: `refs/heads/${branch}`,
    });
    expect(decidePush(parsed.updates, 'other').action).toBe('ignore');
  });

  it('reads a GitLab branch deletion (after is all zeros) as a deletion', () => {
    const p = {
      ...payload('gitlab-push.json'),
      after: '0'.repeat(40),
      checkout_sha: null,
      ref: 'refs/heads/main',
    };
    const d = deliver('gitlab', 'Push Hook', JSON.stringify(p), SECRET);
    const parsed = parseDelivery('gitlab', d.headers, d.body.toString());
    if (parsed.kind !== 'push') throw new Error('expected a push');
    expect(decidePush(parsed.updates, 'main').action).toBe('ignore');
  });

  it('reads a Bitbucket branch deletion (new is null) as a deletion', () => {
    const p = payload('bitbucket-push.json') as { push: { changes: Record<string, unknown>[] } };
    p.push.changes[0]!['new'] = null;
    p.push.changes[0]!['closed'] = true;
    const d = deliver('bitbucket', 'repo:push', JSON.stringify(p), SECRET);
    const parsed = parseDelivery('bitbucket', d.headers, d.body.toString());
    if (parsed.kind !== 'push') throw new Error('expected a push');
    expect(parsed.updates).toEqual([{ ref: 'refs/heads/main', branch: 'main', commit: null, deleted: true }]);
  });

  it('checks a GitLab token in constant time whatever its length', () => {
    const d = deliver('gitlab', 'Push Hook', '{}', SECRET);
    expect(verifySignature('gitlab', { ...d.headers, 'x-gitlab-token': 'short' }, d.body, SECRET)).toBe(
      false,
    );
    expect(verifySignature('gitlab', { ...d.headers, 'x-gitlab-token': undefined }, d.body, SECRET)).toBe(
      false,
    );
    expect(verifySignature('gitlab', d.headers, d.body, '')).toBe(false);
  });

  it('refuses signatures that are not 64 hex digits without throwing', () => {
    const d = deliver('github', 'push', '{}', SECRET);
    for (const bad of [
      'sha256=',
      'sha256=zz',
      `sha1=${'a'.repeat(40)}`,
      'garbage',
      `sha256=${'a'.repeat(63)}`,
    ]) {
      expect(verifySignature('github', { ...d.headers, 'x-hub-signature-256': bad }, d.body, SECRET)).toBe(
        false,
      );
    }
  });

  it('rejects malformed bodies and unknown senders with a ValidationError', () => {
    const d = deliver('github', 'push', '{"ref":', SECRET);
    expect(() => parseDelivery('github', d.headers, d.body.toString())).toThrow(ValidationError);
    const noRepo = deliver('gitea', 'push', JSON.stringify({ ref: 'refs/heads/x', after: 'a' }), SECRET);
    expect(() => parseDelivery('gitea', noRepo.headers, noRepo.body.toString())).toThrow(/repository/);
    expect(() => parseDelivery('github', d.headers, '[1,2]')).toThrow(ValidationError);
    expect(() => detectProvider({ 'user-agent': 'curl' })).toThrow(ValidationError);
  });
});
