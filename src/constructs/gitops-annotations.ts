// What GitOps controllers and Helm need so that one-shot Jobs are created once and never re-run, and data is never pruned.
//
// A Job's pod template is immutable and a finished Job must never run a second time, so:
//
// Flux (kustomize-controller, "Controlling the apply behavior of resources",
// https://fluxcd.io/flux/components/kustomize/kustomizations/#controlling-the-apply-behavior-of-resources):
//   kustomize.toolkit.fluxcd.io/ssa: IfNotPresent   apply only if the object is not on the cluster:
//                                                   created once, never patched, so a changed template
//                                                   (new image, resources) is not an immutable-field error.
//   kustomize.toolkit.fluxcd.io/prune: disabled     removing the request from git does not delete the Job,
//                                                   so a running restore is never killed half-way and its
//                                                   logs stay until someone deletes it.
//   and never kustomize.toolkit.fluxcd.io/force: enabled: it recreates objects with immutable-field
//   changes — the same docs: "to rerun them when their container image changes" (and flux#2440).
//
// Argo CD (sync options, https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/#no-prune-resources;
// compare options, https://argo-cd.readthedocs.io/en/stable/user-guide/compare-options/):
//   argocd.argoproj.io/sync-options: Prune=false          same reason as Flux prune: disabled;
//   argocd.argoproj.io/compare-options: IgnoreExtraneous  the kept Job no longer in git does not make the
//                                                         Application OutOfSync;
//   argocd.argoproj.io/sync-wave: drop (1) before restore (2), after everything else (0): Argo waits for
//   a wave to be healthy, so a restore Job is only created once the drop Job has succeeded
//   (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/).
//   Deliberately no argocd.argoproj.io/hook: a hook without hook-delete-policy defaults to
//   BeforeHookCreation, i.e. deleted and re-created (re-run) on every sync
//   (https://argo-cd.readthedocs.io/en/stable/user-guide/resource_hooks/#hook-deletion-policies);
//   no Replace=true / Force=true either (delete and create = re-run; argo-cd#5882).
//   Argo CD has no create-only option (argo-cd#3843): if the Job template changes while the request
//   is still in git (a safehold upgrade, new resources), the sync reports an immutable-field error
//   until the request is removed — or set ignoreDifferences for batch/Job /spec with
//   RespectIgnoreDifferences=true on the Application. IgnoreExtraneous only affects the sync status:
//   a failed restore Job keeps the Application Degraded until someone deletes it, which is the point.
//
// Helm (charts/): helm.sh/resource-policy: keep leaves the Job in place when the request disappears
// from the chart (https://helm.sh/docs/howto/charts_tips_and_tricks/#tell-helm-not-to-uninstall-a-resource).
// Helm has no create-only policy either (its hooks are re-created on upgrade): like Argo CD, a changed
// Job template fails `helm upgrade` while the request is still in the values.
//
// No ttlSecondsAfterFinished: a controller re-creates a Job deleted by its TTL and it runs again
// (FIELD-NOTES 9). The runner's ledger (contract/requests.ts) is the second line of defence.

/** Annotation carrying the request id the runner records in its ledger (for kubectl and humans). */
export const REQUEST_ANNOTATION = 'safehold.dev/request';

/** Sync waves: everything else 0, then the drop Job, then the restore Job. */
export const SYNC_WAVE = { drop: '1', restore: '2' } as const;

export function oneShotJobAnnotations(wave: string): Record<string, string> {
  return {
    'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
    'argocd.argoproj.io/sync-options': 'Prune=false',
    'argocd.argoproj.io/sync-wave': wave,
    'helm.sh/resource-policy': 'keep',
    'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent',
  };
}

/**
 * Objects that hold data (the repository PVC): never pruned or deleted by a controller, even
 * when the values file or the Application is removed. Unlike Jobs they are still updated.
 */
export function keepAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
    'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
    'helm.sh/resource-policy': 'keep',
    'kustomize.toolkit.fluxcd.io/prune': 'disabled',
  };
}
