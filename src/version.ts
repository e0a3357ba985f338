// The release version, written into manifests (default image tag) and printed by --version.
export const VERSION = '0.1.0';
