// Plugs the Kubernetes-backed parts into the runner: kubernetes and files components, exec hooks, rollout restart, ledger, claim, drop step.
import { setClusterOps } from '../cluster.js';
import { filesHandler } from '../components/files.js';
import { registerHandler } from '../components/index.js';
import { kubernetesHandler } from '../components/kubernetes.js';
import type { ComponentHandler } from '../components/types.js';
import type { RunContext } from '../context.js';
import { setExecHookRunner } from '../hooks/run.js';
import { setClusterLedger } from '../ledger.js';
import { runExecHook } from './exec.js';
import { configMapLedger } from './ledger.js';
import { setClusterCreateOnly } from '../requests/lock.js';
import { CreateOnlyConfigMap } from './create-only-configmap.js';
import { clusterOps } from './rollout.js';
import { scaleBack, scaleDown } from './scale.js';

registerHandler('kubernetes', kubernetesHandler as ComponentHandler);
registerHandler('files', filesHandler as ComponentHandler);
setExecHookRunner(runExecHook);
setClusterOps({ ...clusterOps, scaleDown: (ctx, selector, ns) => scaleDown(ctx, selector, ns), scaleBack });
setClusterLedger(configMapLedger);
setClusterCreateOnly(<T extends object>(ctx: RunContext, name: string) => new CreateOnlyConfigMap<T>(ctx.values.namespace, name));
