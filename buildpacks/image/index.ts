export { type AssembledImage, type AssembleImageOptions, assembleImage } from './assemble.ts';
export { ecrCredentials, parseAuthenticateHeader, type RegistryCredentials } from './auth.ts';
export {
  BaseImageNotFoundError,
  DigestMismatchError,
  ImageAssemblyError,
  InvalidImageOptionError,
  InvalidSlugError,
  PlatformNotFoundError,
  RegistryAuthError,
  RegistryError,
} from './errors.ts';
export { ENTRYPOINT, LAUNCHER_SCRIPT } from './image-config.ts';
export { MediaType } from './manifest.ts';
export { type ImageReference, parseImageReference } from './reference.ts';
export { describeSlug, type SlugLayer } from './slug-layer.ts';
