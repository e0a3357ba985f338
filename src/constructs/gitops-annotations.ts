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
//   deliberately no argocd.argoproj.io/sync-wave: Argo CD creates a later wave only once every object of the
//   earlier waves is Healthy (https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/), and since
//   Argo CD 3.2 a CronJob whose last run failed is Degraded (a repository PVC of a WaitForFirstConsumer
//   class stays Progressing): in a disaster the backup fails, so a restore in a later wave would never be
//   created. In one wave everything is applied together and nothing waits on anyone's health; the runner
//   orders drop and restore itself (one request, one claim: runner/requests/claim.ts).
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
// (FIELD-NOTES 9). The runner's records in the repository (runner/requests/) are the second line of defence.

/** Annotation carrying the request id the runner records in its ledger (for kubectl and humans). */
export const REQUEST_ANNOTATION = 'safehold.dev/request';

export function oneShotJobAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
    'argocd.argoproj.io/sync-options': 'Prune=false',
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

/**
 * What a one-shot Job needs while it runs (the request Role): never pruned when the request leaves git,
 * so the final record and the claim's release never meet a 403; still updated like any object.
 */
export function outlivesRequestAnnotations(): Record<string, string> {
  return {
    'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
    'argocd.argoproj.io/sync-options': 'Prune=false',
    'helm.sh/resource-policy': 'keep',
    'kustomize.toolkit.fluxcd.io/prune': 'disabled',
  };
}
