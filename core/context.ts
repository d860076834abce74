import type { AppLocks } from './app-locks.ts';
import type { CoreDeps } from './deps.ts';
import type { ReleaseDeployer } from './ports.ts';
import type { InstanceRuntime } from './runtime.ts';

/** What the use cases share: the ports plus the live instance view and the per-app locks. */
export interface Ctx extends CoreDeps {
  readonly runtime: InstanceRuntime;
  readonly locks: AppLocks;
  /** deps.releaseDeployer, or the in-process deployer of core/deployer.ts */
  readonly deployer: ReleaseDeployer;
}
