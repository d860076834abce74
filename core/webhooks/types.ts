/** What a git host's webhook delivery means to Wharf, whichever host sent it. */

export type WebhookProvider = 'github' | 'gitlab' | 'bitbucket' | 'gitea';

/** Header names lowercased, as HTTP/2 and API Gateway give them. */
export type WebhookHeaders = Readonly<Record<string, string | undefined>>;

/** One ref moved by a push: a branch or tag created, updated or deleted. */
export interface RefUpdate {
  /** full ref, e.g. refs/heads/main */
  readonly ref: string;
  /** branch name when the ref is a branch, else null */
  readonly branch: string | null;
  /** the commit the ref now points at; null when deleted */
  readonly commit: string | null;
  readonly deleted: boolean;
}

export interface PushRepository {
  readonly fullName: string;
  /** https clone URL, used to fetch the source at the pushed commit */
  readonly cloneUrl: string | null;
}

export type WebhookEvent =
  | { readonly kind: 'ping'; readonly provider: WebhookProvider; readonly deliveryId: string }
  | {
      readonly kind: 'push';
      readonly provider: WebhookProvider;
      readonly deliveryId: string;
      readonly repository: PushRepository;
      readonly updates: readonly RefUpdate[];
    }
  | {
      readonly kind: 'other';
      readonly provider: WebhookProvider;
      readonly deliveryId: string;
      /** the host's own name for the event, e.g. issues, Merge Request Hook */
      readonly name: string;
    };

/** What the webhook function should do with a push for an app that deploys `branch`. */
export type PushDecision =
  | { readonly action: 'build'; readonly commit: string; readonly ref: string }
  | { readonly action: 'ignore'; readonly reason: string };
