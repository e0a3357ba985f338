// Only the scheduled backup of the shop's database, from safehold's lower constructs with their own typed props:
// the runner config, the backup ServiceAccount and the backup CronJob — no drill, verify, alerts or restore.
import { pathToFileURL } from 'node:url';
import { App, Chart } from 'cdk8s';
import { BackupCronJob, RunnerConfig, RunnerRbac, validateSettings, type SetIdentity } from 'safehold';
import { settings } from './main.js';

/** Labels and namespace of every object: the same as BackupSet's for `name: shop`. */
const set: SetIdentity = { prefix: 'shop', namespace: 'shop' };
const account = 'shop-safehold-backup';
const config = 'shop-safehold-config';

export function buildBackupOnly(app: App): Chart {
  const chart = new Chart(app, 'shop-backup-only', { namespace: set.namespace, disableResourceNameHashes: true });
  // What the runner reads: the settings checked like a values file, defaults filled in.
  new RunnerConfig(chart, 'config', { set, name: config, config: validateSettings(settings) });
  // A database-only backup never calls the Kubernetes API: an account without a Role or a token.
  new RunnerRbac(chart, 'rbac', { set, accounts: [{ operation: 'backup', name: account }] });
  new BackupCronJob(chart, 'backup', {
    set,
    name: 'shop-backup',
    schedule: settings.schedule,
    pod: {
      serviceAccountName: account,
      configMap: config,
      // Each Secret mounted as files, only the keys the runner reads; never env, never argv.
      secrets: [
        { secretName: 'backup-s3', keys: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] },
        { secretName: 'shop-db', keys: ['password', 'username'] },
        { secretName: 'shop-restic', keys: ['password'] },
      ],
    },
  });
  return chart;
}

// `node backup-only.js` synthesizes into dist-backup-only/ beside it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = new App({ outdir: 'dist-backup-only' });
  buildBackupOnly(app);
  app.synth();
}
