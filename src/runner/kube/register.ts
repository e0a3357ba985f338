// Plugs the Kubernetes-backed parts into the runner: kubernetes and files components, exec hooks, rollout restart, ledger.
import { setClusterOps } from '../cluster.js';
import { filesHandler } from '../components/files.js';
import { registerHandler } from '../components/index.js';
import { kubernetesHandler } from '../components/kubernetes.js';
import type { ComponentHandler } from '../components/types.js';
import { setExecHookRunner } from '../hooks/run.js';
import { setClusterLedger } from '../ledger.js';
import { runExecHook } from './exec.js';
import { configMapLedger } from './ledger.js';
import { setClusterClaimLock } from '../requests/lock.js';
import { configMapClaimLock } from './claim-lock.js';
import { clusterOps } from './rollout.js';
import { scaleBack, scaleDown } from './scale.js';

registerHandler('kubernetes', kubernetesHandler as ComponentHandler);
registerHandler('files', filesHandler as ComponentHandler);
setExecHookRunner(runExecHook);
setClusterOps({ ...clusterOps, scaleDown: (ctx, selector, ns) => scaleDown(ctx, selector, ns), scaleBack });
setClusterLedger(configMapLedger);
setClusterClaimLock(configMapClaimLock);
