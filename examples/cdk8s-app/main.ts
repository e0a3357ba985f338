// A team's own cdk8s app: its Deployment, and next to it the backup set of its database, from safehold's library.
import { pathToFileURL } from 'node:url';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { BackupSet, type BackupSetSettings } from 'safehold';

/** The settings of the set: the fields of a values file, typed (written as YAML they are a values file for `safehold synth`). */
export const settings: BackupSetSettings = {
  name: 'shop',
  namespace: 'shop',
  schedule: '0 2 * * *',
  repository: {
    s3: { endpoint: 'https://s3.example.com', bucket: 'acme-backups', prefix: 'shop', credentials: { secretName: 'backup-s3' } },
    password: { secretName: 'shop-restic' },
  },
  retention: { keepDaily: 7, keepWeekly: 4 },
  components: [{ name: 'db', type: 'postgres', host: 'shop-db.shop.svc', database: 'shop', credentials: { secretName: 'shop-db' } }],
  monitoring: { pushgateway: 'http://pushgateway.monitoring:9091' },
};

export function build(app: App): { shop: Chart; backup: BackupSet } {
  const shop = new Chart(app, 'shop-app', { namespace: 'shop', disableResourceNameHashes: true });
  const labels = { 'app.kubernetes.io/name': 'shop' };
  new k8s.KubeDeployment(shop, 'web', {
    metadata: { name: 'shop-web', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.example.com/shop/web:1.4.0' }] } },
    },
  });
  const backup = new BackupSet(app, 'shop-backup', { settings });
  return { shop, backup };
}

// `node main.js` synthesizes into dist/ beside it (cdk8s writes one file per chart).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const app = new App({ outdir: 'dist' });
  build(app);
  app.synth();
}
